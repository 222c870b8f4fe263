// A paused product is not on the storefront: reading it by id answers 404 to guests, buyers and
// other merchants, exactly as for an id never used, while its own merchant still reads and
// resumes it. Reproduces the audit's finding that paused products were readable by id.
import { expect } from "chai";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

describe("paused products on the storefront", function () {
  this.timeout(120_000);
  const suite = usePlatform();
  let owner: MerchantSetup;
  let other: MerchantSetup;

  before(async () => {
    owner = await setupMerchant(suite.platform);
    other = await setupMerchant(suite.platform);
  });

  it("is 404 by id for everyone but its merchant, who still reads it; resumed, it is public again", async () => {
    const http = suite.platform.http;
    const productId = await createProduct(owner, { name: "Soon back" });
    const paused = await owner.merchant.patch(`/api/products/${productId}`, { status: "paused" });
    expect([paused.status, paused.body.status]).to.deep.equal([200, "paused"]);

    const buyerSignup = await http.post("/api/auth/signup", { email: "paused-buyer@example.com", password: "paused-buyer-pass" });
    expect(buyerSignup.status, buyerSignup.text).to.equal(201);
    const buyer = http.as(buyerSignup.body.token);
    // What an id that never existed answers, to compare with.
    const neverUsed = await http.get("/api/products/999999999");
    expect(neverUsed.status).to.equal(404);
    for (const [who, client] of [
      ["guest", http],
      ["buyer", buyer],
      ["another merchant", other.merchant],
    ] as const) {
      const response = await client.get(`/api/products/${productId}`);
      expect(response.status, `${who}: ${response.text}`).to.equal(404);
      expect(response.body.code, who).to.equal("not_found");
      expect(response.body.message, who).to.equal(`No product ${productId}.`);
      expect(response.text, who).not.to.include("Soon back");
    }
    const list = await http.get(`/api/shops/${owner.shopId}/products`);
    expect(list.body.items.map((item: { id: string }) => item.id)).not.to.include(productId);

    const own = await owner.merchant.get(`/api/products/${productId}`);
    expect([own.status, own.body.name, own.body.status]).to.deep.equal([200, "Soon back", "paused"]);

    const resumed = await owner.merchant.patch(`/api/products/${productId}`, { status: "active" });
    expect(resumed.status).to.equal(200);
    const publicAgain = await http.get(`/api/products/${productId}`);
    expect([publicAgain.status, publicAgain.body.name]).to.deep.equal([200, "Soon back"]);
  });
});
