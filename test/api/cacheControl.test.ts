// Every answer that carries a code or a salt (order pages with codes, certificates, reveals,
// the look-up and the checkout with their access token) says `Cache-Control: no-store`, so no
// browser cache or shared proxy keeps a copy. Reproduces the audit's finding that order
// responses with codes lacked it.
import { expect } from "chai";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, waitFor, type HttpResponse } from "../support/platform.ts";

describe("Cache-Control: no-store on answers with codes or salts", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let setup: MerchantSetup;
  before(async () => {
    setup = await setupMerchant(suite.platform);
  });

  const expectNoStore = (response: HttpResponse, what: string) => {
    expect(response.status, `${what}: ${response.text}`).to.be.within(200, 299);
    expect(response.headers.get("cache-control"), what).to.equal("no-store");
  };

  it("order pages (both the lean path and Express), certificates, reveals, look-ups and checkouts", async () => {
    const productId = await createProduct(setup, { name: "Cached?", resaleAllowed: true });
    const keys = randomKeys(2, "NST");
    await importKeys(setup, productId, keys);
    const http = suite.platform.http;
    const checkout = await http.post("/api/orders", { productId, quantity: 1, contact: "nostore@example.com", queryPassword: "no-store-pass" });
    expectNoStore(checkout, "checkout");
    const order = checkout.body.order;
    await http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, "T-NOSTORE-1")));
    const page = await waitFor("fulfilment", async () => {
      const response = await http.get(`/api/orders/${order.id}?token=${checkout.body.accessToken}`);
      return response.body.state === "fulfilled" ? response : undefined;
    });
    expectNoStore(page, "order page (lean)");
    // Through Express (a header the lean path does not take makes it fall through).
    const viaExpress = await http.request("GET", `/api/orders/${order.id}?token=${checkout.body.accessToken}`, undefined, { "content-encoding": "identity" });
    expectNoStore(viaExpress, "order page (Express)");
    const lookup = await http.post("/api/orders/lookup", { orderId: order.id, contact: "nostore@example.com", queryPassword: "no-store-pass" });
    expectNoStore(lookup, "look-up");
    const item = page.body.items[0];
    const certificate = await waitFor("certificate", async () => {
      const response = await http.get(`/api/orders/${order.id}/keys/${item.keyId}/certificate?token=${checkout.body.accessToken}`);
      return response.status === 200 ? response : undefined;
    });
    expectNoStore(certificate, "certificate");
    const reveal = await http.post(`/api/orders/${order.id}/reveal`, { token: checkout.body.accessToken });
    expectNoStore(reveal, "reveal");
    // Refusals too: an error answer is no more cacheable than the page it stands for.
    const refused = await http.get(`/api/orders/${order.id}?token=wrong`);
    expect(refused.status).to.equal(404);
    expect(refused.headers.get("cache-control")).to.equal("no-store");
  });
});
