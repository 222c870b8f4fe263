// POST /api/verify: a sold key is genuine with its shop, product, batch and on-chain facts; a
// key still in stock and a made-up key are both "unknown" (no oracle for valid stock); a
// certificate verifies alone; a wrong key or a tampered certificate is "invalid".
import { expect } from "chai";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { usePlatform, waitFor } from "../support/platform.ts";

describe("POST /api/verify", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let keys: string[];
  let sold: { code: string; certificate: Record<string, any> };

  before(async () => {
    const { platform } = suite;
    const setup = await setupMerchant(platform);
    const productId = await createProduct(setup, { name: "Verifiable" });
    keys = randomKeys(4, "VFY");
    await importKeys(setup, productId, keys);
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "v@example.com", queryPassword: "pass-1234" });
    await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "T-VFY-1")));
    const item = await waitFor(
      "issued key",
      async () => {
        const view = await platform.http.get(`/api/orders/${checkout.body.order.id}?token=${checkout.body.accessToken}`);
        const entry = view.body.items?.[0];
        return entry?.tokenId ? entry : undefined;
      },
      120_000,
      250,
    );
    const certificate = await platform.http.get(`${item.certificateUrl}?token=${checkout.body.accessToken}`);
    sold = { code: item.code, certificate: certificate.body };
  });

  it("answers genuine for a sold key, with where it came from and what the chain says", async () => {
    const response = await suite.platform.http.post("/api/verify", { key: sold.code });
    expect(response.status, response.text).to.equal(200);
    expect(response.body.verdict).to.equal("genuine");
    expect(response.body.checkedAgainst).to.equal("chain");
    expect(response.body.product.name).to.equal("Verifiable");
    expect(response.body.batch.anchor.transaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(response.body.sale.sold).to.equal(true);
    expect(response.body.entitlement.tokenId).to.equal(sold.certificate.issuance?.tokenId ?? response.body.entitlement.tokenId);
    expect(["redeemed", "sealed"]).to.include(response.body.entitlement.state);
    expect(response.body.entitlementId).to.match(/^\d+$/);
    expect(response.body.issuance.transaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(JSON.stringify(response.body)).not.to.contain(sold.code);
  });

  it("answers unknown for a key still in stock and for a made-up key, with a sentence true of both", async () => {
    const unsold = keys.find((key) => key !== sold.code)!;
    for (const key of [unsold, "NOT-A-REAL-KEY-123"]) {
      const response = await suite.platform.http.post("/api/verify", { key });
      expect(response.status).to.equal(200);
      expect(response.body.verdict).to.equal("unknown");
      // The stock key is committed on-chain: the answer may not say that no shop committed it.
      expect(response.body.reason).to.equal("No sold key on this platform matches this key.");
    }
  });

  it("verifies a certificate alone, and refuses a wrong key or a tampered certificate", async () => {
    const alone = await suite.platform.http.post("/api/verify", { certificate: sold.certificate });
    expect(alone.body.verdict).to.equal("genuine");
    const wrongKey = await suite.platform.http.post("/api/verify", { certificate: sold.certificate, key: "WRONG-KEY" });
    expect(wrongKey.body.verdict).to.equal("invalid");
    const tampered = structuredClone(sold.certificate);
    tampered.batch.root = `0x${"11".repeat(32)}`;
    const response = await suite.platform.http.post("/api/verify", { certificate: tampered });
    expect(response.body.verdict).to.equal("invalid");
    expect(response.body.checks.some((check: { status: string }) => check.status === "fail")).to.equal(true);
  });

  it("publishes what a browser needs to check against the chain itself", async () => {
    const config = await suite.platform.http.get("/api/config/public");
    expect(config.status).to.equal(200);
    expect(config.body.rpcUrl).to.equal(suite.platform.rpcUrl);
    expect(config.body.contracts.registry).to.equal(sold.certificate.chain.registry);
    expect(config.body.chainId).to.equal(sold.certificate.chain.chainId);
  });

  it("refuses an empty request with a 400", async () => {
    const response = await suite.platform.http.post("/api/verify", {});
    expect(response.status).to.equal(400);
    expect(response.body.code).to.equal("validation_failed");
  });
});
