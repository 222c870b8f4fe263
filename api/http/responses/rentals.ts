// Response schemas of the rental routes (api/http/routes/rentals.ts).
import { z } from "zod";
import { decimalString, isoDateTime, pageOf } from "./common.ts";

const rentalListingFields = {
  id: decimalString,
  entitlementId: decimalString,
  productId: decimalString,
  pricePerDayMinor: decimalString,
  currency: z.string(),
  minDays: z.number().int(),
  maxDays: z.number().int(),
  createdAt: isoDateTime,
};

export const rentalListingPageSchema = pageOf(z.strictObject({ ...rentalListingFields, tokenId: decimalString.nullable() }));

export const rentalListingSchema = z.strictObject({ ...rentalListingFields, state: z.string() });

export const cancelledRentalListingSchema = z.strictObject({ id: decimalString, state: z.literal("cancelled") });

export const rentalSchema = z.strictObject({
  id: z.string(),
  listingId: decimalString,
  entitlementId: decimalString,
  days: z.number().int(),
  priceMinor: decimalString,
  currency: z.string(),
  /** awaiting_payment, settled, expired (the checkout, not the term) or refund_pending. */
  state: z.string(),
  expiresAt: isoDateTime,
  /** The term, on the chain's clock; null until settled. */
  startsAt: isoDateTime.nullable(),
  endsAt: isoDateTime.nullable(),
  /** The on-chain setUser: pending, submitted, included; null until settled. */
  chainState: z.string().nullable(),
  paymentUrl: z.string(),
});

export const rentedEntitlementUseSchema = z.strictObject({
  entitlementId: decimalString,
  rentalId: z.string(),
  code: z.string(),
  endsAt: isoDateTime,
});
