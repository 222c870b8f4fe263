// Who sees an order, and which view, for every kind of visitor: the buyer, a guest with the
// access token, the shop's merchant, admins and auditors (staff), and the strangers who must
// be refused: another buyer, another shop's merchant, a reseller, a guest with another order's
// token. The access token here is computed with node:crypto directly ("v2.<expires>.<generation>."
// and the base64url HMAC-SHA256 of "order-access:v2:<id>:<expires>:<generation>" under the
// pepper), not by the module; it expires an hour from now, in generation 0.
import { expect } from "chai";
import { createHmac } from "node:crypto";
import type { Role } from "../../core/roles.ts";
import type { AuthenticatedAccount } from "../../api/services/accounts/sessions.ts";
import { orderViewerOf, type OrderViewerParameters } from "../../api/services/orders/orderViewer.ts";

const pepper = "test-pepper-for-order-tokens";
const order = { id: "1001", shopId: 7n, buyerAccountId: 50n, accessGeneration: 0 };
const shopOwnerId = 60n;

function account(id: bigint, ...roles: Role[]): AuthenticatedAccount {
  return { id, email: `a${id}@example.test`, roles, withheldRoles: [], factor: "totp", sessionId: id, tokenHash: Buffer.alloc(32) };
}

function tokenFor(orderId: string): string {
  const expires = Math.floor(Date.now() / 1000) + 3600;
  return `v2.${expires}.0.${createHmac("sha256", pepper).update(`order-access:v2:${orderId}:${expires}:0`).digest("base64url")}`;
}

async function viewerOf(who: OrderViewerParameters["who"], overrides: Partial<OrderViewerParameters> = {}) {
  const lookups: bigint[] = [];
  const viewer = await orderViewerOf({
    pepper,
    order,
    who,
    shopOwnerOf: async (shopId) => {
      lookups.push(shopId);
      return shopId === order.shopId ? shopOwnerId : undefined;
    },
    ...overrides,
  });
  return { viewer, lookups };
}

describe("orders: who sees an order", () => {
  it("the buyer account sees the buyer's view, whatever other roles it has", async () => {
    expect((await viewerOf({ account: account(50n, "buyer") })).viewer).to.equal("buyer");
    expect((await viewerOf({ account: account(50n, "buyer", "admin") })).viewer).to.equal("buyer");
    expect((await viewerOf({ account: account(50n, "merchant") })).viewer).to.equal("buyer");
  });

  it("a guest with the order's access token sees the buyer's view; with another order's token, nothing", async () => {
    expect(await viewerOf({ accessToken: tokenFor("1001") })).to.deep.equal({ viewer: "buyer", lookups: [] });
    expect((await viewerOf({ accessToken: tokenFor("1002") })).viewer).to.equal(undefined);
    expect((await viewerOf({ accessToken: tokenFor("1001").slice(1) })).viewer).to.equal(undefined);
    expect((await viewerOf({ accessToken: "" })).viewer).to.equal(undefined);
    expect((await viewerOf({})).viewer).to.equal(undefined);
    // A stranger's account with the right token is let in by the token.
    expect((await viewerOf({ account: account(99n, "buyer"), accessToken: tokenFor("1001") })).viewer).to.equal("buyer");
    // A wrong token does not stop the order's own buyer.
    expect((await viewerOf({ account: account(50n, "buyer"), accessToken: tokenFor("1002") })).viewer).to.equal("buyer");
  });

  it("admins and auditors see the staff view (no codes), without a shop look-up", async () => {
    expect(await viewerOf({ account: account(70n, "admin") })).to.deep.equal({ viewer: "staff", lookups: [] });
    expect(await viewerOf({ account: account(71n, "auditor") })).to.deep.equal({ viewer: "staff", lookups: [] });
    expect((await viewerOf({ account: account(72n, "buyer", "auditor") })).viewer).to.equal("staff");
  });

  it("the shop's owner sees the merchant view", async () => {
    expect(await viewerOf({ account: account(shopOwnerId, "merchant") })).to.deep.equal({ viewer: "merchant", lookups: [7n] });
  });

  it("refuses strangers: another buyer, another shop's merchant, a reseller, an account with no role", async () => {
    for (const stranger of [
      account(51n, "buyer"),
      account(61n, "merchant"),
      account(62n, "reseller"),
      account(63n),
      account(64n, "buyer", "merchant", "reseller"),
    ]) {
      expect((await viewerOf({ account: stranger })).viewer, `account ${stranger.id} ${stranger.roles.join(",")}`).to.equal(undefined);
    }
  });

  it("refuses everyone but staff and token holders on a guest order, and a merchant whose shop is gone", async () => {
    const guestOrder = { ...order, buyerAccountId: null };
    expect((await viewerOf({ account: account(51n, "buyer") }, { order: guestOrder })).viewer).to.equal(undefined);
    expect((await viewerOf({ account: account(70n, "admin") }, { order: guestOrder })).viewer).to.equal("staff");
    expect((await viewerOf({ accessToken: tokenFor("1001") }, { order: guestOrder })).viewer).to.equal("buyer");
    const noShop = async () => undefined;
    expect((await viewerOf({ account: account(shopOwnerId, "merchant") }, { shopOwnerOf: noShop })).viewer).to.equal(undefined);
  });
});
