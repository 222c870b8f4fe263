// Order access tokens expire and can be revoked, and the payment gateway's return URL carries
// a short-lived token, not the long-lived one. Reproduces the audit's finding: the access
// token was HMAC(pepper, order id), valid forever, unrevocable, and travelled in the gateway's
// return_url (its logs, the browser history, the Referer of the gateway's pages).
import { expect } from "chai";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

const accessTtlSeconds = 4;
const returnTtlSeconds = 2;

describe("order access tokens: expiry, revocation, short-lived return tokens", function () {
  this.timeout(300_000);
  const suite = usePlatform({ env: { ORDER_ACCESS_TOKEN_TTL_SECONDS: String(accessTtlSeconds), ORDER_RETURN_TOKEN_TTL_SECONDS: String(returnTtlSeconds) } });
  let setup: MerchantSetup;
  let productId: string;
  before(async () => {
    setup = await setupMerchant(suite.platform);
    productId = await createProduct(setup, { name: "Token target", category: "service_voucher", deliveryMode: "manual", manualStock: 10 });
  });

  const checkout = async (contact: string) => {
    const response = await suite.platform.http.post("/api/orders", { productId, quantity: 1, contact, queryPassword: "token-pass-1" });
    expect(response.status, response.text).to.equal(201);
    return response.body as { order: { id: string }; accessToken: string; payment: { url: string } };
  };
  const page = (orderId: string, token: string) => suite.platform.http.get(`/api/orders/${orderId}?token=${encodeURIComponent(token)}`);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("an access token stops working after its time to live; the look-up gives a fresh one", async () => {
    const { order, accessToken } = await checkout("expiry@example.com");
    expect((await page(order.id, accessToken)).status).to.equal(200);
    await pause((accessTtlSeconds + 1) * 1000);
    const expired = await page(order.id, accessToken);
    expect(expired.status).to.equal(404);
    const lookup = await suite.platform.http.post("/api/orders/lookup", { orderId: order.id, contact: "expiry@example.com", queryPassword: "token-pass-1" });
    expect(lookup.status, lookup.text).to.equal(200);
    expect(lookup.body.accessToken).not.to.equal(accessToken);
    expect((await page(order.id, lookup.body.accessToken)).status).to.equal(200);
  });

  it("the gateway's return URL carries a short-lived token, not the access token", async () => {
    const { order, accessToken, payment } = await checkout("return@example.com");
    const returnUrl = new URL(new URL(payment.url).searchParams.get("return_url")!);
    const returnToken = returnUrl.searchParams.get("token")!;
    expect(returnToken).to.be.a("string").and.not.equal(accessToken);
    expect(payment.url).not.to.contain(encodeURIComponent(accessToken));
    expect((await page(order.id, returnToken)).status).to.equal(200);
    await pause((returnTtlSeconds + 1) * 1000);
    expect((await page(order.id, returnToken)).status).to.equal(404);
    // The buyer's own access token (longer lived) still opens the order.
    expect((await page(order.id, accessToken)).status).to.equal(200);
  });

  it("the buyer revokes the order's tokens: every earlier token stops working, the answer's new one works", async () => {
    const { order, accessToken, payment } = await checkout("revoke@example.com");
    const returnToken = new URL(new URL(payment.url).searchParams.get("return_url")!).searchParams.get("token")!;
    const stranger = await suite.platform.http.post(`/api/orders/${order.id}/access/revoke`, { token: "not-a-token" });
    expect(stranger.status).to.equal(404);
    const revoked = await suite.platform.http.post(`/api/orders/${order.id}/access/revoke`, { token: accessToken });
    expect(revoked.status, revoked.text).to.equal(200);
    expect(revoked.body.accessToken).to.be.a("string").and.not.equal(accessToken);
    expect((await page(order.id, accessToken)).status).to.equal(404);
    expect((await page(order.id, returnToken)).status).to.equal(404);
    expect((await page(order.id, revoked.body.accessToken)).status).to.equal(200);
  });
});
