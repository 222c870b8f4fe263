// The sale benchmark's growth mix (issue 16): everything set up through the API as merchants,
// agents and buyers would (docs/pricing.md, docs/distribution.md, docs/docking.md). A "growth"
// merchant sells one product with a wholesale tier and a coupon through an agent's sub-store
// (markup within the merchant's bounds) and pays three commission levels; a supplier offers its
// product to a reseller shop, which lists it (docked) with its own tier and coupon. Every buyer is
// a signed-in account at the bottom of a referral chain of three (commissions follow accounts,
// guests are never attached).
import { randomBytes } from "node:crypto";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { call, nodeHttpSend, setupSaleProduct, type Send } from "./saleSetup.ts";

export type GrowthTarget = { productId: string; substore?: string; couponCode: string };

export type GrowthSetup = {
  /** The sub-store sale of the growth merchant's product (coupon, tier, markup, three commission levels). */
  substoreSale: GrowthTarget;
  /** The reseller's docked listing of the supplier's product (coupon, tier). */
  dockedSale: GrowthTarget;
  /** One bearer token per buyer, each attached to the same chain of three referrers. */
  buyerTokens: string[];
};

type Answer = { status: number; text: string; body: Record<string, unknown> };

function expect(what: string, answer: Answer, status: number): Answer {
  if (answer.status !== status) throw new Error(`${what} answered ${answer.status}: ${answer.text}`);
  return answer;
}

async function signUp(send: Send, label: string, roles?: string[]): Promise<{ token: string; auth: Record<string, string>; code: string }> {
  const signup = expect(
    `signup ${label}`,
    await call(send, "POST", "/api/auth/signup", { email: `${label}@example.com`, password: `${label}-password-1`, ...(roles ? { roles } : {}) }),
    201,
  );
  const auth = { authorization: `Bearer ${signup.body.token}` };
  const overview = expect(`overview ${label}`, await call(send, "GET", "/api/agent/overview", undefined, auth), 200);
  return { token: String(signup.body.token), auth, code: String(overview.body.referralCode) };
}

export async function setupGrowth(parameters: { url: string; sandboxSecret: string; keys: number; buyers: number }): Promise<GrowthSetup> {
  const send = nodeHttpSend(parameters.url);
  // A third of the orders are docked: the supplier holds a third of the keys (plus margin).
  const dockedKeys = Math.ceil(parameters.keys / 3) + 500;
  const [growth, supplier] = await Promise.all([
    setupSaleProduct({ url: parameters.url, sandboxSecret: parameters.sandboxSecret, keys: parameters.keys, name: "growth" }),
    setupSaleProduct({ url: parameters.url, sandboxSecret: parameters.sandboxSecret, keys: dockedKeys, name: "supplier" }),
  ]);
  const growthAuth = { authorization: `Bearer ${growth.token}` };
  const supplierAuth = { authorization: `Bearer ${supplier.token}` };

  // Pricing on the growth product: list 9.90, tier 9.50 for one, 9.00 from two; a 5% coupon with
  // no limits (every order claims it under the coupon's row lock, docs/pricing.md).
  const tiers = {
    tiers: [
      { quantityMin: 1, quantityMax: 1, unitPriceMinor: "950" },
      { quantityMin: 2, quantityMax: null, unitPriceMinor: "900" },
    ],
  };
  expect("tiers", await call(send, "PUT", `/api/products/${growth.productId}/tiers`, tiers, growthAuth), 200);
  expect("coupon", await call(send, "POST", `/api/shops/${growth.shopId}/coupons`, { code: "GROWTH5", kind: "percent", value: 5 }, growthAuth), 201);

  // The agent's sub-store, carrying the product at 0.40 markup (bounds 0.10..1.00).
  expect(
    "markup bounds",
    await call(send, "PUT", `/api/products/${growth.productId}/agent-markup`, { bounds: { markupMinMinor: "10", markupMaxMinor: "100" } }, growthAuth),
    200,
  );
  expect("commission rates", await call(send, "PUT", `/api/shops/${growth.shopId}/commission-rates`, { levelsBps: [1000, 500, 200] }, growthAuth), 200);
  const agent = await signUp(send, "growth-agent");
  const invitation = expect("invitation", await call(send, "POST", `/api/shops/${growth.shopId}/agent-invitations`, undefined, growthAuth), 201);
  const substore = expect(
    "accept invitation",
    await call(
      send,
      "POST",
      "/api/agent-invitations/accept",
      { token: invitation.body.token, slug: "growth-agent", name: "Growth agent", colour: "#1a7f5a" },
      agent.auth,
    ),
    201,
  );
  expect("carry", await call(send, "POST", `/api/substores/${substore.body.id}/products`, { productId: growth.productId, markupMinor: "40" }, agent.auth), 201);

  // Referrers R1 <- R2 <- R3 in the growth shop; each buyer follows R3's link, so a sale pays
  // R3 (level 1), R2 (level 2) and R1 (level 3).
  const referrers: Awaited<ReturnType<typeof signUp>>[] = [];
  for (let level = 1; level <= 3; level++) {
    const referrer = await signUp(send, `growth-referrer${level}`);
    if (level > 1) {
      expect(`attach R${level}`, await call(send, "POST", `/api/shops/${growth.shopId}/referrals`, { code: referrers[level - 2]!.code }, referrer.auth), 200);
    }
    referrers.push(referrer);
  }
  const buyerTokens: string[] = [];
  for (let index = 0; index < parameters.buyers; index++) {
    const buyer = await signUp(send, `growth-buyer${index}-${randomBytes(3).toString("hex")}`);
    const attached = expect("attach buyer", await call(send, "POST", `/api/shops/${growth.shopId}/referrals`, { code: referrers[2]!.code }, buyer.auth), 200);
    if (attached.body.attached !== true) throw new Error(`buyer ${index} not attached: ${attached.text}`);
    buyerTokens.push(buyer.token);
  }

  // Docking: the supplier offers its product at 6.00; a reseller (another merchant) lists it at
  // 9.90 with its own tier and coupon.
  expect(
    "offer",
    await call(send, "PUT", `/api/shops/${supplier.shopId}/docking/offers/${supplier.productId}`, { wholesalePriceMinor: "600" }, supplierAuth),
    200,
  );
  const reseller = await signUp(send, "reseller", ["merchant"]);
  const resellerShop = expect("reseller shop", await call(send, "POST", "/api/shops", { slug: "reseller", name: "reseller" }, reseller.auth), 201);
  const listing = expect(
    "listing",
    await call(
      send,
      "POST",
      `/api/shops/${resellerShop.body.id}/docking/listings`,
      { supplyProductId: supplier.productId, name: "Docked card", priceMinor: "990" },
      reseller.auth,
    ),
    201,
  );
  const listingId = String(listing.body.productId);
  expect("reseller tiers", await call(send, "PUT", `/api/products/${listingId}/tiers`, tiers, reseller.auth), 200);
  expect(
    "reseller coupon",
    await call(send, "POST", `/api/shops/${resellerShop.body.id}/coupons`, { code: "RESELL5", kind: "percent", value: 5 }, reseller.auth),
    201,
  );

  return {
    substoreSale: { productId: growth.productId, substore: "growth-agent", couponCode: "GROWTH5" },
    dockedSale: { productId: listingId, couponCode: "RESELL5" },
    buyerTokens,
  };
}

/**
 * What the growth mix's delivered orders carried, read from the books after the load: that the
 * mix measured what it claims (a coupon on each, the agent and three referrers on each sub-store
 * sale, a supplier on each docked one, four distributor legs per sub-store sale) and that every
 * journal transaction balances. Printed as `growth_*` lines.
 */
export async function growthShape(db: Drizzle, plainShopId: string): Promise<Record<string, number>> {
  const orders = await queryOne<Record<string, bigint>>(
    db,
    sql`SELECT count(*) FILTER (WHERE o.supplier_shop_id IS NULL AND o.pricing->'distribution'->'agent' IS NOT NULL
                                 AND jsonb_array_length(o.pricing->'distribution'->'referrers') = 3) AS substore_three_levels,
               count(*) FILTER (WHERE o.supplier_shop_id IS NOT NULL) AS docked,
               count(*) FILTER (WHERE o.discount_minor > 0) AS with_coupon,
               count(*) AS delivered
          FROM orders o WHERE o.state = 'fulfilled' AND o.shop_id <> ${plainShopId}`,
  );
  const legs = await queryOne<{ distributor: bigint; unbalanced: bigint }>(
    db,
    sql`SELECT (SELECT count(*) FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
                 WHERE a.owner_type = 'distributor' AND p.amount_minor > 0) AS distributor,
               (SELECT count(*) FROM (SELECT tx_id FROM ledger_postings GROUP BY tx_id HAVING sum(amount_minor) <> 0) t) AS unbalanced`,
  );
  return {
    orders_delivered: Number(orders!.delivered),
    orders_substore_three_levels: Number(orders!.substore_three_levels),
    orders_docked: Number(orders!.docked),
    orders_with_coupon: Number(orders!.with_coupon),
    distributor_legs: Number(legs!.distributor),
    unbalanced_transactions: Number(legs!.unbalanced),
  };
}
