// The demo shop `npm start` seeds on an empty database: accounts for every role, a shop whose
// EPay settings point at the sandbox gateway, products of several kinds, and keys imported
// through the real import job (so they are committed on-chain before they can be sold).
import { randomBytes } from "node:crypto";
import type { AppContext } from "../../api/context.ts";
import { createImport } from "../../api/keys/importKeys.ts";
import { enqueueImport } from "../../api/jobs/enqueue.ts";
import { newSandboxMerchant } from "../../api/payments/epaySandbox.ts";
import { createAccount, grantRoles } from "../../api/services/accounts/accounts.ts";
import { enrolKnownTotpSecret } from "../../api/services/accounts/totp.ts";
import { createProduct } from "../../api/services/products/products.ts";
import { setEpaySettings } from "../../api/services/shops/epaySettings.ts";
import { createShop } from "../../api/services/shops/shops.ts";
import { queryOne, sql } from "../../core/store/database.ts";

export const demoLogins = {
  merchant: { email: "merchant@keyledger.demo", password: "demo-merchant-pass" },
  buyer: { email: "buyer@keyledger.demo", password: "demo-buyer-pass" },
  reseller: { email: "reseller@keyledger.demo", password: "demo-reseller-pass" },
  auditor: { email: "auditor@keyledger.demo", password: "demo-auditor-pass" },
  admin: { email: "admin@keyledger.demo", password: "demo-admin-pass" },
} as const;

// Staff accounts sign in with a second factor (docs/accounts.md). The demo's have published
// TOTP secrets, so any authenticator app (or `oathtool --totp -b SECRET`) gives their codes.
export const demoTotpSecrets = {
  auditor: "KEYLEDGERDEMOAUDITORTOTPSECRETAA",
  admin: "KEYLEDGERDEMOADMINTOTPSECRETAAAA",
} as const;

export const demoShopSlug = "demo";

export async function seedDemo(ctx: AppContext, baseUrl: string, options: { keysPerProduct: number } = { keysPerProduct: 40 }): Promise<boolean> {
  const db = ctx.database.db;
  const existing = await queryOne<{ id: bigint }>(db, sql`SELECT id FROM shops WHERE slug = ${demoShopSlug}`);
  if (existing) return false;
  const sandboxSecret = ctx.config.payments.epaySandboxSecret;
  if (!sandboxSecret) throw new Error("The demo needs EPAY_SANDBOX_SECRET (npm start sets it).");

  const merchant = await createAccount(db, { ...demoLogins.merchant, roles: ["merchant"], displayName: "Demo Merchant" });
  await createAccount(db, { ...demoLogins.buyer, roles: ["buyer"], displayName: "Demo Buyer" });
  await createAccount(db, { ...demoLogins.reseller, roles: ["buyer", "reseller"], displayName: "Demo Reseller" });
  const auditor = await createAccount(db, { ...demoLogins.auditor, roles: ["buyer"], displayName: "Demo Auditor" });
  await grantRoles(db, BigInt(auditor.id), ["auditor"]);
  await enrolKnownTotpSecret(db, ctx.keyRing, BigInt(auditor.id), demoTotpSecrets.auditor);
  const admin = await createAccount(db, { ...demoLogins.admin, roles: ["buyer"], displayName: "Demo Admin" });
  await grantRoles(db, BigInt(admin.id), ["admin"]);
  await enrolKnownTotpSecret(db, ctx.keyRing, BigInt(admin.id), demoTotpSecrets.admin);

  const shop = await createShop(db, ctx.keyRing, {
    ownerAccountId: BigInt(merchant.id),
    slug: demoShopSlug,
    name: "Keyledger 演示商店 Demo Shop",
    description: "Game cards, licences and course codes, each committed on-chain before sale. 每张卡密上链承诺后才开售。",
    issuerAddress: ctx.chain?.walletClient?.account.address,
  });
  const shopId = BigInt(shop.id);
  // The demo merchant is a confirmed, verified business (docs/saas.md), so the demo's stock and
  // sales are not held to an unverified shop's limits.
  await db.execute(sql`UPDATE shops SET verification_level = 'business' WHERE id = ${shopId}`);
  await db.execute(sql`UPDATE accounts SET email_confirmed_at = now() WHERE id = ${BigInt(merchant.id)}`);
  const sandboxMerchant = newSandboxMerchant(sandboxSecret);
  await setEpaySettings(db, ctx.keyRing, shopId, { gatewayUrl: `${baseUrl}/sandbox/epay/`, pid: sandboxMerchant.pid, key: sandboxMerchant.key });

  const products = [
    { name: "Steam 钱包充值卡 ¥50 · Steam Wallet card", category: "game_card", priceMinor: 4800n, prefix: "STM" },
    { name: "Office 2024 专业版密钥 · Office licence", category: "software_licence", priceMinor: 19900n, prefix: "OFC" },
    { name: "TypeScript 进阶课程兑换码 · Course code", category: "course_code", priceMinor: 9900n, prefix: "CRS", resaleAllowed: true, royaltyBps: 500 },
    { name: "视频会员月卡 · Streaming month pass", category: "subscription", priceMinor: 1500n, prefix: "SUB", resaleAllowed: true, royaltyBps: 300 },
  ] as const;
  for (const spec of products) {
    const product = await createProduct(db, shopId, {
      name: spec.name,
      description: "Delivered instantly with a certificate you can verify against the chain. 秒发卡密，附可在链上验证的证书。",
      category: spec.category,
      priceMinor: spec.priceMinor,
      currency: "CNY",
      deliveryMode: "automatic",
      quantityMin: 1,
      quantityMax: 5,
      lowStockThreshold: 5,
      resaleAllowed: "resaleAllowed" in spec ? spec.resaleAllowed : false,
      royaltyBps: "royaltyBps" in spec ? spec.royaltyBps : 0,
    });
    const keys = Array.from({ length: options.keysPerProduct }, () => `${spec.prefix}-${code()}-${code()}-${code()}`).join("\n");
    const { importId } = await createImport(db, ctx.keyRing, {
      shopId,
      productId: BigInt(product.id),
      accountId: BigInt(merchant.id),
      format: "text",
      content: keys,
    });
    await enqueueImport(ctx.queues, importId);
  }
  await createProduct(db, shopId, {
    name: "代充服务 · Top-up service (manual delivery)",
    description: "The merchant delivers by hand, usually within an hour. 人工发货。",
    category: "service_voucher",
    priceMinor: 2000n,
    currency: "CNY",
    deliveryMode: "manual",
    manualStock: 100,
  });
  return true;
}

function code(): string {
  return randomBytes(3).toString("hex").toUpperCase();
}
