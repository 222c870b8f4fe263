// Response schemas of the subscription routes (api/http/routes/subscriptions.ts).
import { z } from "zod";
import { decimalString, isoDateTime, pageOf } from "./common.ts";

export const subscriptionPlanSchema = z.strictObject({
  productId: decimalString,
  period: z.enum(["week", "month", "quarter", "year"]),
  periodSeconds: z.number().int(),
  delivery: z.enum(["credential", "key_per_period"]),
  graceDays: z.number().int(),
  periodPriceMinor: decimalString,
  currency: z.string(),
});

/** A product page's question "is this sold by subscription?": null when it is not (a 404 there was logged by every browser as an error). */
export const productSubscriptionPlanSchema = z.strictObject({ plan: subscriptionPlanSchema.nullable() });

export const subscriptionSchema = z.strictObject({
  id: decimalString,
  productId: decimalString,
  productName: z.string(),
  shopId: decimalString,
  entitlementId: decimalString,
  orderId: z.string(),
  tokenId: decimalString.nullable(),
  state: z.enum(["active", "past_due", "cancelled", "expired"]),
  delivery: z.enum(["credential", "key_per_period"]),
  periodKeys: z.array(
    z.strictObject({
      periodIndex: z.number().int(),
      entitlementId: decimalString,
      tokenId: decimalString.nullable(),
      startsAt: isoDateTime,
      endsAt: isoDateTime,
      expiryOnChain: z.boolean(),
    }),
  ),
  autoRenew: z.boolean(),
  periodSeconds: z.number().int(),
  graceSeconds: z.number().int(),
  priceMinor: decimalString,
  currency: z.string(),
  startsAt: isoDateTime,
  paidUntil: isoDateTime,
  periodsPaid: z.number().int(),
  chainPaidUntil: isoDateTime.nullable(),
  lastFailure: z.string().nullable(),
});

export const subscriptionPageSchema = pageOf(subscriptionSchema);

export const balanceTopupSchema = z.strictObject({
  id: z.string(),
  amountMinor: decimalString,
  currency: z.string(),
  state: z.enum(["awaiting_payment", "paid"]),
  createdAt: isoDateTime,
  paidAt: isoDateTime.nullable(),
  paymentUrl: z.string().nullable(),
});

export const balanceSchema = z.strictObject({
  balances: z.array(z.strictObject({ currency: z.string(), balanceMinor: z.string().regex(/^-?\d+$/) })),
});

export const subscriptionUpgradeSchema = z.strictObject({
  subscription: subscriptionSchema,
  upgrade: z.strictObject({
    periodIndex: z.number().int(),
    fromProductId: decimalString,
    toProductId: decimalString,
    remainingSeconds: z.number().int(),
    amountMinor: decimalString,
    currency: z.string(),
  }),
});

/** A subscription's renewal by wallet pull: the mandate terms to create, and the recorded mandate. */
export const walletMandateSchema = z.strictObject({
  terms: z
    .strictObject({
      paymentRouter: z.string(),
      token: z.string(),
      capPerPeriod: decimalString,
      startsAt: z.number().int(),
      periodSeconds: z.number().int(),
      firstPeriod: z.number().int(),
    })
    .nullable(),
  reason: z.string().nullable(),
  mandate: z
    .strictObject({
      mandateId: z.string(),
      payer: z.string(),
      subscriptionRef: z.string(),
      paymentRouter: z.string(),
      state: z.enum(["active", "cancelled"]),
      createdAt: isoDateTime,
    })
    .nullable(),
});
