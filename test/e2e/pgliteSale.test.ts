// The embedded store (PGlite, what `npm start` uses without DATABASE_URL) runs the same sale:
// import, anchor, checkout, EPay notification, fulfilment, delivery.
import { expect } from "chai";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";

describe("sale on the embedded PGlite store", function () {
  this.timeout(300_000);
  let platform: TestPlatform;

  before(async () => {
    platform = await startTestPlatform({ store: "pglite" });
  });
  after(async () => {
    await platform?.stopAll();
  });

  it("sells and delivers a committed key", async () => {
    expect(platform.ctx.database.kind).to.equal("pglite");
    const setup = await setupMerchant(platform);
    const productId = await createProduct(setup);
    const keys = randomKeys(5, "PGL");
    await importKeys(setup, productId, keys);
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 2, contact: "lite@example.com", queryPassword: "pass-1234" });
    expect(checkout.status, checkout.text).to.equal(201);
    const paid = await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "T-PGLITE-1")));
    expect(paid.text).to.equal("success");
    const view = await waitFor("fulfilment", async () => {
      const response = await platform.http.get(`/api/orders/${checkout.body.order.id}?token=${checkout.body.accessToken}`);
      return response.body.state === "fulfilled" ? response.body : undefined;
    });
    expect(view.items).to.have.length(2);
    for (const item of view.items) expect(keys).to.include(item.code);
    expect(new Set(view.items.map((item: { code: string }) => item.code)).size).to.equal(2);
  });
});
