// Composable setup steps over HTTP: a merchant with a shop on the sandbox gateway, a product,
// imported and anchored keys.
import { expect } from "chai";
import { newSandboxMerchant } from "../../api/payments/epaySandbox.ts";
import { randomBytes } from "node:crypto";
import { waitFor, type HttpClient, type TestPlatform } from "./platform.ts";

export type MerchantSetup = { merchant: HttpClient; shopId: string; sandbox: { pid: string; key: string } };

export async function setupMerchant(platform: TestPlatform): Promise<MerchantSetup> {
  const suffix = randomBytes(4).toString("hex");
  const signup = await platform.http.post("/api/auth/signup", {
    email: `merchant-${suffix}@example.com`,
    password: "merchant-password-1",
    roles: ["merchant"],
  });
  expect(signup.status, signup.text).to.equal(201);
  const merchant = platform.http.as(signup.body.token);
  const shop = await merchant.post("/api/shops", { slug: `shop-${suffix}`, name: `Shop ${suffix}` });
  expect(shop.status, shop.text).to.equal(201);
  const sandbox = newSandboxMerchant(platform.ctx.config.payments.epaySandboxSecret!);
  const epay = await merchant.put(`/api/shops/${shop.body.id}/payment-settings/epay`, { gatewayUrl: `${platform.url}/sandbox/epay/`, ...sandbox });
  expect(epay.status, epay.text).to.equal(204);
  return { merchant, shopId: shop.body.id, sandbox };
}

export async function createProduct(setup: MerchantSetup, overrides: Record<string, unknown> = {}): Promise<string> {
  const product = await setup.merchant.post(`/api/shops/${setup.shopId}/products`, {
    name: "Test game card",
    category: "game_card",
    priceMinor: "1000",
    currency: "CNY",
    quantityMax: 10,
    ...overrides,
  });
  expect(product.status, product.text).to.equal(201);
  return product.body.id;
}

/** Imports keys and waits until their batch is anchored on-chain (the keys become sellable). */
export async function importKeys(setup: MerchantSetup, productId: string, keys: string[]): Promise<{ importId: string; batchId: string }> {
  const response = await setup.merchant.request("POST", `/api/products/${productId}/imports`, keys.join("\n"), { "content-type": "text/plain" });
  expect(response.status, response.text).to.equal(202);
  const importId = response.body.importId as string;
  const done = await waitFor(
    `import ${importId} anchored`,
    async () => {
      const progress = await setup.merchant.get(`/api/imports/${importId}`);
      if (progress.body.status === "failed") throw new Error(`import failed: ${JSON.stringify(progress.body.error)}`);
      if (progress.body.status !== "done" || !["included", "confirmed"].includes(progress.body.anchorState)) return undefined;
      // The indexer may record the anchor as included before the chain writer's transaction that
      // releases the batch's keys for sale has committed: wait for the keys too, or a checkout at
      // once finds the stock still empty (and, racing the release, gets the short expiry of a product under pressure).
      const batches = await setup.merchant.get(`/api/shops/${setup.shopId}/batches?limit=100`);
      const batch = (batches.body.items as { id: string; available: number; sold: number }[] | undefined)?.find((item) => item.id === progress.body.batchId);
      return batch && batch.available + batch.sold > 0 ? progress.body : undefined;
    },
    120_000,
    200,
  );
  return { importId, batchId: done.batchId };
}

export function randomKeys(count: number, prefix = "KEY"): string[] {
  return Array.from({ length: count }, () => `${prefix}-${randomBytes(8).toString("hex").toUpperCase()}`);
}
