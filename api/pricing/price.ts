// The one pricing function: every price the platform shows or charges is computed here, and
// nowhere else (the quote endpoint and checkout both call it). Pure: no I/O, no clock; the
// caller passes the product, the buyer's level, the tier table, the coupon and `now`.
//
// Order of application (docs/pricing.md):
//   1. unit price = product price;
//   2. member level: a percent discount on the unit price (rounded half up, per unit);
//   3. wholesale tier: the tier that contains the quantity gives a unit price; the buyer pays the
//      LOWER of the member unit price and the tier unit price (they never stack);
//   (a group order, docs/groupbuy.md: the group price replaces 1-3, it stacks with neither a level
//    nor a tier, and a group order takes no coupon: the checkout refuses one);
//   4. coupon: on the line (unit price x quantity), fixed or percent (rounded half up), capped at
//      the line so a total is never below 0.
// All amounts are bigint minor units; percents are integers 0..100.
import { AppError } from "../../core/errors.ts";

export type MemberLevel = { name: string; spendMinMinor: bigint; discountPercent: number };
export type PriceTier = { quantityMin: number; quantityMax: number | null; unitPriceMinor: bigint };
export type CouponRule = {
  code: string;
  kind: "fixed" | "percent";
  /** Minor units off the line (fixed) or a percent 1..100 (percent). */
  value: bigint;
  scope: "shop" | "product" | "category";
  scopeProductId: bigint | null;
  scopeCategory: string | null;
  minimumMinor: bigint;
  startsAt: Date | null;
  endsAt: Date | null;
  disabled: boolean;
};

export type PriceParameters = {
  product: { id: bigint; priceMinor: bigint; category: string };
  quantity: number;
  level: MemberLevel | null;
  tiers: readonly PriceTier[];
  coupon: CouponRule | null;
  now: Date;
  /** A group order's unit price (the merchant's group offer), instead of the list, level and tier prices. */
  groupUnitPriceMinor?: bigint;
};

export type PriceBreakdown = {
  listUnitPriceMinor: bigint;
  level: { name: string; discountPercent: number; unitPriceMinor: bigint } | null;
  tier: { quantityMin: number; quantityMax: number | null; unitPriceMinor: bigint } | null;
  unitPriceMinor: bigint;
  quantity: number;
  subtotalMinor: bigint;
  coupon: { code: string; kind: "fixed" | "percent"; value: bigint; discountMinor: bigint } | null;
  discountMinor: bigint;
  totalMinor: bigint;
  /** Present only on a group order: the group price that set the unit price. */
  group?: { unitPriceMinor: bigint };
};

/** amount x percent / 100, rounded half up (amount and percent are never negative). */
export function percentOf(amountMinor: bigint, percent: number): bigint {
  return (amountMinor * BigInt(percent) * 2n + 100n) / 200n;
}

export function price({ product, quantity, level, tiers, coupon, now, groupUnitPriceMinor }: PriceParameters): PriceBreakdown {
  const listUnitPriceMinor = product.priceMinor;
  if (groupUnitPriceMinor !== undefined) return groupPrice(listUnitPriceMinor, quantity, groupUnitPriceMinor);
  const levelUnit = level ? listUnitPriceMinor - percentOf(listUnitPriceMinor, level.discountPercent) : null;
  const tier = tiers.find((t) => quantity >= t.quantityMin && (t.quantityMax === null || quantity <= t.quantityMax)) ?? null;
  let unitPriceMinor = listUnitPriceMinor;
  if (levelUnit !== null && levelUnit < unitPriceMinor) unitPriceMinor = levelUnit;
  if (tier && tier.unitPriceMinor < unitPriceMinor) unitPriceMinor = tier.unitPriceMinor;
  const subtotalMinor = unitPriceMinor * BigInt(quantity);
  const applied = coupon ? applyCoupon(coupon, product, subtotalMinor, now) : null;
  const discountMinor = applied?.discountMinor ?? 0n;
  return {
    listUnitPriceMinor,
    level: level && levelUnit !== null ? { name: level.name, discountPercent: level.discountPercent, unitPriceMinor: levelUnit } : null,
    tier: tier ? { ...tier } : null,
    unitPriceMinor,
    quantity,
    subtotalMinor,
    coupon: applied,
    discountMinor,
    totalMinor: subtotalMinor - discountMinor,
  };
}

/** A group order: the group price is the unit price, nothing else applies. */
function groupPrice(listUnitPriceMinor: bigint, quantity: number, unitPriceMinor: bigint): PriceBreakdown {
  const subtotalMinor = unitPriceMinor * BigInt(quantity);
  return {
    listUnitPriceMinor,
    level: null,
    tier: null,
    unitPriceMinor,
    quantity,
    subtotalMinor,
    coupon: null,
    discountMinor: 0n,
    totalMinor: subtotalMinor,
    group: { unitPriceMinor },
  };
}

function applyCoupon(coupon: CouponRule, product: PriceParameters["product"], subtotalMinor: bigint, now: Date) {
  if (coupon.disabled) throw new AppError("coupon_not_usable", `Coupon ${coupon.code} has been disabled by the shop. Remove it or use another coupon.`);
  if (coupon.startsAt && now < coupon.startsAt) {
    throw new AppError("coupon_not_usable", `Coupon ${coupon.code} is valid from ${coupon.startsAt.toISOString()}. Use it then or remove it.`);
  }
  if (coupon.endsAt && now >= coupon.endsAt) {
    throw new AppError("coupon_expired", `Coupon ${coupon.code} expired at ${coupon.endsAt.toISOString()}. Remove it or use another coupon.`);
  }
  const inScope =
    coupon.scope === "shop" ||
    (coupon.scope === "product" && coupon.scopeProductId === product.id) ||
    (coupon.scope === "category" && coupon.scopeCategory === product.category);
  if (!inScope) throw new AppError("coupon_not_applicable", `Coupon ${coupon.code} does not apply to this product. Remove it or use another coupon.`);
  if (subtotalMinor < coupon.minimumMinor) {
    throw new AppError(
      "coupon_not_applicable",
      `Coupon ${coupon.code} needs an order of at least ${coupon.minimumMinor} (minor units); this one is ${subtotalMinor}.`,
      {
        details: { minimumMinor: String(coupon.minimumMinor), subtotalMinor: String(subtotalMinor) },
      },
    );
  }
  const raw = coupon.kind === "fixed" ? coupon.value : percentOf(subtotalMinor, Number(coupon.value));
  const discountMinor = raw > subtotalMinor ? subtotalMinor : raw;
  return { code: coupon.code, kind: coupon.kind, value: coupon.value, discountMinor };
}

/** The level a buyer holds: the highest spend threshold at or below the buyer's cumulative spend. */
export function levelFor(levels: readonly MemberLevel[], spendMinor: bigint): MemberLevel | null {
  let best: MemberLevel | null = null;
  for (const level of levels) if (spendMinor >= level.spendMinMinor && (!best || level.spendMinMinor > best.spendMinMinor)) best = level;
  return best;
}
