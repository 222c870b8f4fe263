// Reads what the pricing function needs (product, tiers, the buyer's level, the coupon) and calls
// it: the quote endpoint and checkout both come here, so the price shown is the price charged.
// The price is read from the products row itself (not the checkout cache), so a price change
// applies to the very next quote.
import { AppError } from "../../../core/errors.ts";
import { queryPreparedOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { memberSpendMinor, type StablecoinSettings } from "./memberSpend.ts";
import { levelFor, price, type CouponRule, type MemberLevel, type PriceBreakdown, type PriceTier } from "../../pricing/price.ts";

export type QuoteInput = {
  productId: bigint;
  quantity: number;
  buyerAccountId?: bigint;
  contact?: string;
  couponCode?: string;
  /** A group order (docs/groupbuy.md): the group's price, which replaces the list, level and tier prices. */
  group?: { id: string; unitPriceMinor: bigint };
  /** The platform's stablecoin (its decimals convert a member's spend in it); default USDK with 6, the configuration's default. */
  stablecoin?: StablecoinSettings;
};
export type Quote = { breakdown: PriceBreakdown; couponId: bigint | null; buyerKey: string | null; shopId: bigint; currency: string };

/** Who a coupon use and a daily limit count against: the account, or a guest's contact. */
export function buyerKeyOf(input: { buyerAccountId?: bigint; contact?: string }): string | null {
  if (input.buyerAccountId !== undefined) return `account:${input.buyerAccountId}`;
  if (input.contact) return `contact:${input.contact.trim().toLowerCase()}`;
  return null;
}

type CouponRow = {
  id: bigint;
  code: string;
  kind: "fixed" | "percent";
  value: string;
  scope: CouponRule["scope"];
  scope_product_id: string | null;
  scope_category: string | null;
  minimum_minor: string;
  starts_at: Date | string | null;
  ends_at: Date | string | null;
  uses: number;
  uses_max: number | null;
  per_buyer_max: number | null;
  disabled_at: Date | string | null;
  /** The buyer's uses not given back, counted only when the coupon has a per-buyer limit. */
  buyer_uses: string | null;
};

type PricingRow = {
  id: string;
  shop_id: string;
  price_minor: string;
  category: string;
  currency: string;
  tiers: { quantity_min: number; quantity_max: number | null; unit_price_minor: string }[];
  has_levels: boolean;
  coupon: CouponRow | null;
};

/**
 * Everything the price depends on but the buyer's level, in one round trip (checkout runs this on
 * every order): the product, its tiers, whether the shop has member levels, and the coupon asked
 * for with the buyer's uses of it.
 */
async function readPricing(db: Drizzle, productId: bigint, couponCode: string | null, buyerKey: string | null): Promise<PricingRow | undefined> {
  // Prepared: its subqueries cost more to plan than to run, on every checkout and quote.
  return queryPreparedOne<PricingRow>(
    db,
    "pricing_inputs",
    sql`SELECT p.id, p.shop_id, p.price_minor, p.category, p.currency,
               (SELECT coalesce(json_agg(json_build_object('quantity_min', t.quantity_min, 'quantity_max', t.quantity_max,
                                                           'unit_price_minor', t.unit_price_minor::text) ORDER BY t.quantity_min), '[]'::json)
                FROM price_tiers t WHERE t.product_id = p.id) AS tiers,
               EXISTS (SELECT 1 FROM member_levels l WHERE l.shop_id = p.shop_id) AS has_levels,
               (SELECT json_build_object('id', c.id::text, 'code', c.code, 'kind', c.kind, 'value', c.value::text, 'scope', c.scope,
                                         'scope_product_id', c.scope_product_id::text, 'scope_category', c.scope_category,
                                         'minimum_minor', c.minimum_minor::text, 'starts_at', c.starts_at, 'ends_at', c.ends_at,
                                         'uses', c.uses, 'uses_max', c.uses_max, 'per_buyer_max', c.per_buyer_max, 'disabled_at', c.disabled_at,
                                         'buyer_uses', CASE WHEN c.per_buyer_max IS NOT NULL AND ${buyerKey}::text IS NOT NULL THEN
                                           (SELECT count(*)::text FROM coupon_uses u
                                            WHERE u.coupon_id = c.id AND u.buyer_key = ${buyerKey}::text AND u.released_at IS NULL) END)
                FROM coupons c WHERE c.shop_id = p.shop_id AND c.code = ${couponCode}::text) AS coupon
        FROM products p WHERE p.id = ${productId}`,
  );
}

export async function quoteOrder(db: Drizzle, input: QuoteInput): Promise<Quote> {
  const buyerKey = buyerKeyOf(input);
  const couponCode = input.couponCode ? input.couponCode.trim().toUpperCase() : null;
  const product = await readPricing(db, input.productId, couponCode, buyerKey);
  if (!product) throw new AppError("not_found", `No product ${input.productId}.`);
  const shopId = BigInt(product.shop_id);
  const tiers = product.tiers.map(
    (row): PriceTier => ({ quantityMin: row.quantity_min, quantityMax: row.quantity_max, unitPriceMinor: BigInt(row.unit_price_minor) }),
  );
  const level =
    input.buyerAccountId === undefined || !product.has_levels
      ? null
      : await buyerLevel(db, { shopId, accountId: input.buyerAccountId, currency: product.currency, stablecoin: input.stablecoin ?? defaultStablecoin });
  const coupon = input.couponCode ? usableCoupon(input.couponCode, product.coupon, buyerKey) : null;
  const breakdown = price({
    product: { id: BigInt(product.id), priceMinor: BigInt(product.price_minor), category: product.category },
    quantity: input.quantity,
    level,
    tiers,
    coupon: coupon?.rule ?? null,
    now: new Date(),
    ...(input.group ? { groupUnitPriceMinor: input.group.unitPriceMinor } : {}),
  });
  return { breakdown, couponId: coupon?.id ?? null, buyerKey, shopId, currency: product.currency };
}

const defaultStablecoin: StablecoinSettings = { currency: "USDK", decimals: 6 };

/**
 * Levels are earned by the buyer's cumulative spend in this shop: paid and fulfilled orders, in
 * every currency, converted to the currency of the price being quoted (memberSpend.ts).
 */
async function buyerLevel(
  db: Drizzle,
  parameters: { shopId: bigint; accountId: bigint; currency: string; stablecoin: StablecoinSettings },
): Promise<MemberLevel | null> {
  const { shopId } = parameters;
  const levels = await queryRows<{ name: string; spend_min_minor: string; discount_percent: number }>(
    db,
    sql`SELECT name, spend_min_minor, discount_percent FROM member_levels WHERE shop_id = ${shopId}`,
  );
  if (levels.length === 0) return null;
  return levelFor(
    levels.map((row) => ({ name: row.name, spendMinMinor: BigInt(row.spend_min_minor), discountPercent: row.discount_percent })),
    await memberSpendMinor(db, parameters),
  );
}

function usableCoupon(code: string, row: CouponRow | null, buyerKey: string | null) {
  if (!row) throw new AppError("coupon_unknown", `This shop has no coupon ${code}. Check the code or remove it.`);
  if (row.uses_max !== null && row.uses >= row.uses_max) {
    throw new AppError("coupon_exhausted", `Coupon ${row.code} has been used as many times as it allows. Remove it or use another coupon.`);
  }
  if (row.per_buyer_max !== null && buyerKey && Number(row.buyer_uses ?? 0) >= row.per_buyer_max) {
    throw new AppError("coupon_exhausted", `You have used coupon ${row.code} as many times as it allows per buyer. Remove it to continue.`);
  }
  const rule: CouponRule = {
    code: row.code,
    kind: row.kind,
    value: BigInt(row.value),
    scope: row.scope,
    scopeProductId: row.scope_product_id === null ? null : BigInt(row.scope_product_id),
    scopeCategory: row.scope_category,
    minimumMinor: BigInt(row.minimum_minor),
    // Raw queries may answer timestamps as text: read them as dates before comparing.
    startsAt: row.starts_at === null ? null : new Date(row.starts_at),
    endsAt: row.ends_at === null ? null : new Date(row.ends_at),
    disabled: row.disabled_at !== null,
  };
  return { id: BigInt(row.id), rule };
}

/** The breakdown as JSON (bigints as decimal strings): the quote's answer and the order's record. */
export function breakdownJson(breakdown: PriceBreakdown) {
  return JSON.parse(JSON.stringify(breakdown, (_key, value) => (typeof value === "bigint" ? String(value) : value)));
}
