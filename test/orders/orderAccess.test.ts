// Guest access to an order: the query password's stored hash and the order's access token,
// against HMAC-SHA256 computed with node:crypto directly from the formats the module's header
// states ("query-password:v1:<order>:<password>"; an access token
// "v2.<expires>.<generation>.<base64url HMAC of order-access:v2:<order>:<expires>:<generation>>").
import { expect } from "chai";
import { createHmac } from "node:crypto";
import {
  checkOrderAccessToken,
  checkQueryPassword,
  hashQueryPassword,
  issueOrderAccessToken,
  orderAccessToken,
} from "../../api/services/orders/orderAccess.ts";

const pepper = "pepper-\u5bc6-1";
const hmac = (text: string) => createHmac("sha256", pepper).update(text, "utf8");

describe("orders: guest access (query password and access token)", () => {
  it("hashes the query password bound to the order", () => {
    expect(hashQueryPassword(pepper, "1001", "查询-pass")).to.deep.equal(hmac("query-password:v1:1001:查询-pass").digest());
    expect(checkQueryPassword(pepper, "1001", "查询-pass", hmac("query-password:v1:1001:查询-pass").digest())).to.equal(true);
  });

  it("refuses another password, order or pepper, and a stored hash of another length", () => {
    const stored = hmac("query-password:v1:1001:secret").digest();
    expect(checkQueryPassword(pepper, "1001", "secreT", stored)).to.equal(false);
    expect(checkQueryPassword(pepper, "1002", "secret", stored)).to.equal(false);
    expect(checkQueryPassword(`${pepper}x`, "1001", "secret", stored)).to.equal(false);
    expect(checkQueryPassword(pepper, "1001", "secret", stored.subarray(0, 31))).to.equal(false);
    expect(checkQueryPassword(pepper, "1001", "secret", Buffer.alloc(0))).to.equal(false);
  });

  it("issues the order's access token in its published format and accepts only it", () => {
    const expires = 1_900_000_000;
    const token = `v2.${expires}.3.${hmac(`order-access:v2:1001:${expires}:3`).digest("base64url")}`;
    expect(orderAccessToken(pepper, { orderId: "1001", generation: 3, expiresAt: new Date(expires * 1000) })).to.equal(token);
    const order = { id: "1001", accessGeneration: 3 };
    const now = (expires - 60) * 1000;
    expect(checkOrderAccessToken(pepper, order, token, now)).to.equal(true);
    expect(checkOrderAccessToken(pepper, { ...order, id: "1002" }, token, now)).to.equal(false);
    expect(checkOrderAccessToken(`${pepper}x`, order, token, now)).to.equal(false);
    expect(checkOrderAccessToken(pepper, order, token.slice(0, -1), now)).to.equal(false);
    expect(checkOrderAccessToken(pepper, order, `${token}A`, now)).to.equal(false);
    expect(checkOrderAccessToken(pepper, order, "", now)).to.equal(false);
    // Nothing may stand before or after the token: the whole string is the token.
    expect(checkOrderAccessToken(pepper, order, `x${token}`, now)).to.equal(false);
    expect(checkOrderAccessToken(pepper, order, `${token}\n`, now)).to.equal(false);
  });

  it("accepts generations and expiries of many digits", () => {
    const expires = 1_900_000_000;
    const token = `v2.${expires}.1234567890.${hmac(`order-access:v2:1001:${expires}:1234567890`).digest("base64url")}`;
    expect(checkOrderAccessToken(pepper, { id: "1001", accessGeneration: 1234567890 }, token, (expires - 1) * 1000)).to.equal(true);
  });

  it("refuses an expired token, one of a revoked generation, and a token whose expiry or generation was edited", () => {
    const expires = 1_900_000_000;
    const token = `v2.${expires}.3.${hmac(`order-access:v2:1001:${expires}:3`).digest("base64url")}`;
    const order = { id: "1001", accessGeneration: 3 };
    expect(checkOrderAccessToken(pepper, order, token, expires * 1000 - 1)).to.equal(true);
    expect(checkOrderAccessToken(pepper, order, token, expires * 1000)).to.equal(false);
    expect(checkOrderAccessToken(pepper, { ...order, accessGeneration: 4 }, token, expires * 1000 - 1)).to.equal(false);
    const longer = token.replace(`v2.${expires}.`, `v2.${expires + 86_400}.`);
    expect(checkOrderAccessToken(pepper, order, longer, expires * 1000 + 1)).to.equal(false);
    const otherGeneration = token.replace(".3.", ".4.");
    expect(checkOrderAccessToken(pepper, { ...order, accessGeneration: 4 }, otherGeneration, expires * 1000 - 1)).to.equal(false);
  });

  it("issues a token for the given time from now under the order's current generation", () => {
    const now = 1_800_000_000_500;
    const token = issueOrderAccessToken(pepper, { id: "77", accessGeneration: 0 }, 3600, now);
    const expires = Math.floor(now / 1000) + 3600;
    expect(token).to.equal(`v2.${expires}.0.${hmac(`order-access:v2:77:${expires}:0`).digest("base64url")}`);
  });
});
