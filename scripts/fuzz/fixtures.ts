// The real things the fuzzer aims at: two merchants with shops on the sandbox gateway, a product
// with anchored keys, a paid and fulfilled order with its key and entitlement, an unpaid guest
// order with its access token, and a signed-in session for every role. Built over HTTP with the
// workers running (imports, anchoring and fulfilment are jobs), which the caller then stops.
import { randomBytes } from "node:crypto";
import { epaySign, formatEpayMoney, type EpayParams } from "../../api/payments/epay.ts";
import { newSandboxMerchant } from "../../api/payments/epaySandbox.ts";
import type { FuzzFixtures } from "./openapiArbitraries.ts";
import type { HttpClient, HttpResponse, TestPlatform } from "../../test/support/platform.ts";
import { waitFor } from "../../test/support/platform.ts";
import { createStaffAccount } from "../../test/support/staff.ts";

function expectStatus(response: HttpResponse, status: number, what: string): void {
  if (response.status !== status) throw new Error(`fuzz fixtures: ${what} answered ${response.status}: ${response.text.slice(0, 300)}`);
}

async function signUp(platform: TestPlatform, label: string, roles: string[]): Promise<{ http: HttpClient; token: string; id: string }> {
  const response = await platform.http.post("/api/auth/signup", {
    email: `fuzz-${label}-${randomBytes(4).toString("hex")}@example.com`,
    password: `${label}-password-1`,
    roles,
  });
  expectStatus(response, 201, `signup of ${label}`);
  return { http: platform.http.as(response.body.token), token: response.body.token, id: response.body.account.id };
}

async function merchantWithShop(platform: TestPlatform, label: string) {
  const account = await signUp(platform, label, ["merchant"]);
  const suffix = randomBytes(4).toString("hex");
  const shop = await account.http.post("/api/shops", { slug: `fuzz-${suffix}`, name: `Fuzz ${suffix}` });
  expectStatus(shop, 201, "shop");
  const sandbox = newSandboxMerchant(platform.ctx.config.payments.epaySandboxSecret!);
  expectStatus(
    await account.http.put(`/api/shops/${shop.body.id}/payment-settings/epay`, { gatewayUrl: `${platform.url}/sandbox/epay/`, ...sandbox }),
    204,
    "epay settings",
  );
  return { ...account, shopId: shop.body.id as string, slug: shop.body.slug as string, sandbox };
}

export async function buildFixtures(platform: TestPlatform): Promise<FuzzFixtures> {
  const merchant = await merchantWithShop(platform, "merchant");
  const otherMerchant = await merchantWithShop(platform, "other-merchant");
  const buyer = await signUp(platform, "buyer", ["buyer"]);
  const reseller = await signUp(platform, "reseller", ["buyer", "reseller"]);
  // Staff roles cannot be signed up for; the first ones are made in the database, and their
  // sessions need TOTP for those roles to count (docs/accounts.md), as staff.ts makes them.
  const [auditor, admin] = await Promise.all([
    createStaffAccount(platform, "fuzz-auditor", ["auditor"]),
    createStaffAccount(platform, "fuzz-admin", ["admin"]),
  ]);

  const product = await merchant.http.post(`/api/shops/${merchant.shopId}/products`, {
    name: "Fuzz card",
    category: "game_card",
    priceMinor: "1000",
    currency: "CNY",
    quantityMax: 10,
  });
  expectStatus(product, 201, "product");
  const productId = product.body.id as string;
  const keys = Array.from({ length: 6 }, () => `FUZZ-${randomBytes(8).toString("hex").toUpperCase()}`);
  const imported = await merchant.http.request("POST", `/api/products/${productId}/imports`, keys.join("\n"), { "content-type": "text/plain" });
  expectStatus(imported, 202, "key import");
  const importId = imported.body.importId as string;
  const anchored = await waitFor(
    "fuzz fixture keys anchored",
    async () => {
      const progress = await merchant.http.get(`/api/imports/${importId}`);
      return progress.body.status === "done" && ["included", "confirmed"].includes(progress.body.anchorState) ? progress.body : undefined;
    },
    120_000,
    200,
  );

  const checkout = await buyer.http.post("/api/orders", { productId, quantity: 1 });
  expectStatus(checkout, 201, "checkout");
  const order = checkout.body.order as { id: string; amountMinor: string };
  const params: EpayParams = {
    pid: merchant.sandbox.pid,
    trade_no: `FUZZ-${randomBytes(4).toString("hex")}`,
    out_trade_no: order.id,
    type: "alipay",
    name: "fuzz",
    money: formatEpayMoney(BigInt(order.amountMinor)),
    trade_status: "TRADE_SUCCESS",
  };
  const signed = { ...params, sign: epaySign(params, merchant.sandbox.key), sign_type: "MD5" };
  expectStatus(await platform.http.get(`/api/payments/epay/notify/${merchant.shopId}?${new URLSearchParams(signed)}`), 200, "payment notification");
  const fulfilled = await waitFor("fuzz fixture order fulfilled", async () => {
    const view = await buyer.http.get(`/api/orders/${order.id}`);
    return view.body.state === "fulfilled" ? view.body : undefined;
  });
  const entitlements = await buyer.http.get("/api/me/entitlements");
  const guest = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "fuzz-guest@example.com", queryPassword: "guest-pass-1" });
  expectStatus(guest, 201, "guest checkout");

  return {
    ids: {
      shopId: [merchant.shopId, otherMerchant.shopId],
      slug: [merchant.slug, otherMerchant.slug],
      productId: [productId],
      importId: [importId],
      orderId: [order.id, guest.body.order.id],
      keyId: [String(fulfilled.items[0].keyId)],
      entitlementId: (entitlements.body.items ?? []).map((item: { id: string }) => item.id),
      tokenId: (entitlements.body.items ?? []).flatMap((item: { tokenId: string | null }) => (item.tokenId ? [item.tokenId] : [])),
      accountId: [buyer.id, merchant.id, admin.id],
      batchId: [String(anchored.batchId)],
      transactionId: ["1", "2"],
      token: [guest.body.accessToken],
      contact: ["fuzz-guest@example.com"],
      queryPassword: ["guest-pass-1"],
    },
    tokens: {
      buyer: buyer.token,
      reseller: reseller.token,
      merchant: merchant.token,
      otherMerchant: otherMerchant.token,
      auditor: auditor.http.token!,
      admin: admin.http.token!,
    },
  };
}
