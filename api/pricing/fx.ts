// Prices in another currency (docs/currencies.md): a quote's breakdown converted, and what an order
// records of its conversion. The arithmetic itself (digits, rates, convertMinor) is core/money/fx.ts,
// shared with the web app.
import { convertMinor, formatRate, pairRate, type Conversion } from "../../core/money/fx.ts";
import type { PriceBreakdown } from "./price.ts";

/**
 * A price breakdown in another currency. The unit price and the discount are each converted once
 * and the totals recomputed from them (subtotal = unit x quantity, total = subtotal - discount,
 * the discount capped at the subtotal), so the converted order keeps the orders table's rule
 * amount = unit x quantity - discount and the total shown is exactly the total charged.
 * The other unit prices (list, level, tier, group) are converted for display.
 */
export function convertBreakdown(breakdown: PriceBreakdown, conversion: Conversion): PriceBreakdown {
  const convert = (amount: bigint) => convertMinor(amount, conversion);
  const unitPriceMinor = convert(breakdown.unitPriceMinor);
  const subtotalMinor = unitPriceMinor * BigInt(breakdown.quantity);
  const converted = convert(breakdown.discountMinor);
  const discountMinor = converted > subtotalMinor ? subtotalMinor : converted;
  return {
    listUnitPriceMinor: convert(breakdown.listUnitPriceMinor),
    level: breakdown.level ? { ...breakdown.level, unitPriceMinor: convert(breakdown.level.unitPriceMinor) } : null,
    tier: breakdown.tier ? { ...breakdown.tier, unitPriceMinor: convert(breakdown.tier.unitPriceMinor) } : null,
    unitPriceMinor,
    quantity: breakdown.quantity,
    subtotalMinor,
    coupon: breakdown.coupon
      ? { ...breakdown.coupon, value: breakdown.coupon.kind === "fixed" ? convert(breakdown.coupon.value) : breakdown.coupon.value, discountMinor }
      : null,
    discountMinor,
    totalMinor: subtotalMinor - discountMinor,
    ...(breakdown.group ? { group: { unitPriceMinor: convert(breakdown.group.unitPriceMinor) } } : {}),
  };
}

/** What an order's pricing records of its conversion: both currencies, both CNY rates, the pair's rate and the price before it. */
export function fxJson(conversion: Conversion, original: PriceBreakdown) {
  return {
    from: conversion.from,
    to: conversion.to,
    fromCnyRate: formatRate(conversion.fromCnyRate),
    toCnyRate: formatRate(conversion.toCnyRate),
    rate: formatRate(pairRate(conversion)),
    priceUnitMinor: String(original.unitPriceMinor),
    priceDiscountMinor: String(original.discountMinor),
    priceTotalMinor: String(original.totalMinor),
  };
}
