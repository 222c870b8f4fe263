// Guest access to an order: the query password's stored hash and the order's access token,
// against HMAC-SHA256 computed with node:crypto directly from the formats the module's header
// states ("query-password:v1:<order>:<password>", "order-access:v1:<order>", base64url).
import { expect } from "chai";
import { createHmac } from "node:crypto";
import { checkOrderAccessToken, checkQueryPassword, hashQueryPassword, orderAccessToken } from "../../api/services/orders/orderAccess.ts";

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

  it("issues the order's access token and accepts only it", () => {
    const token = hmac("order-access:v1:1001").digest("base64url");
    expect(orderAccessToken(pepper, "1001")).to.equal(token);
    expect(checkOrderAccessToken(pepper, "1001", token)).to.equal(true);
    expect(checkOrderAccessToken(pepper, "1002", token)).to.equal(false);
    expect(checkOrderAccessToken(pepper, "1001", token.slice(0, -1))).to.equal(false);
    expect(checkOrderAccessToken(pepper, "1001", `${token}A`)).to.equal(false);
    expect(checkOrderAccessToken(pepper, "1001", "")).to.equal(false);
  });
});
