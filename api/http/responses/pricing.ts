// Answers of the pricing routes (docs/pricing.md): the quote's breakdown, coupons, rules.
import { z } from "zod";
import { decimalString, isoDateTime, pageOf } from "./common.ts";

const coupons = ["fixed", "percent"] as const;
const scopes = ["shop", "product", "category"] as const;

export const priceBreakdownSchema = z.strictObject({
  listUnitPriceMinor: decimalString,
  level: z.strictObject({ name: z.string(), discountPercent: z.number().int(), unitPriceMinor: decimalString }).nullable(),
  tier: z.strictObject({ quantityMin: z.number().int(), quantityMax: z.number().int().nullable(), unitPriceMinor: decimalString }).nullable(),
  unitPriceMinor: decimalString,
  quantity: z.number().int(),
  subtotalMinor: decimalString,
  coupon: z.strictObject({ code: z.string(), kind: z.enum(coupons), value: decimalString, discountMinor: decimalString }).nullable(),
  discountMinor: decimalString,
  totalMinor: decimalString,
});

export const quoteSchema = z.strictObject({
  currency: z.string(),
  breakdown: priceBreakdownSchema,
  substore: z
    .strictObject({
      slug: z.string(),
      markupPerUnitMinor: decimalString,
      markupMinor: decimalString,
      totalMinor: decimalString.describe("What checkout in the sub-store charges: the breakdown's total plus the markup on every unit"),
    })
    .optional()
    .describe("Only when the quote asked for a sub-store"),
  fx: z
    .strictObject({
      from: z.string(),
      to: z.string(),
      fromCnyRate: z.string(),
      toCnyRate: z.string(),
      rate: z.string().describe("Major units of `to` per major unit of `from`"),
      priceUnitMinor: decimalString,
      priceDiscountMinor: decimalString,
      priceTotalMinor: decimalString.describe("The total in the product's own currency"),
    })
    .optional()
    .describe("Only when the quote asked for another currency than the product's (docs/currencies.md)"),
});

export const couponSchema = z.strictObject({
  id: decimalString,
  code: z.string(),
  kind: z.enum(coupons),
  value: decimalString,
  scope: z.enum(scopes),
  scopeProductId: decimalString.nullable(),
  scopeCategory: z.string().nullable(),
  minimumMinor: decimalString,
  startsAt: isoDateTime.nullable(),
  endsAt: isoDateTime.nullable(),
  usesMax: z.number().int().nullable(),
  perBuyerMax: z.number().int().nullable(),
  uses: z.number().int(),
  batchId: z.string().nullable(),
  disabled: z.boolean(),
});
export const couponPageSchema = pageOf(couponSchema);
export const couponsCsvSchema = z.string().describe("CSV: code,kind,value,scope,minimum_minor,starts_at,ends_at,uses_max,per_buyer_max,uses,disabled");
export const createdCouponsSchema = z.strictObject({ batchId: z.string().nullable(), created: z.number().int(), codes: z.array(z.string()) });

const tierSchema = z.strictObject({ quantityMin: z.number().int(), quantityMax: z.number().int().nullable(), unitPriceMinor: decimalString });
const levelSchema = z.strictObject({ name: z.string(), spendMinMinor: decimalString, discountPercent: z.number().int() });
export const tiersSchema = z.strictObject({ tiers: z.array(tierSchema) });
export const levelsSchema = z.strictObject({ levels: z.array(levelSchema) });
export const dailyLimitSchema = z.strictObject({ perBuyerDailyMax: z.number().int().nullable() });
export const pricingRulesSchema = z.strictObject({ tiers: z.array(tierSchema), levels: z.array(levelSchema), perBuyerDailyMax: z.number().int().nullable() });
