// Response schemas of the resale routes (api/http/routes/resale.ts).
import { z } from "zod";
import { address, decimalString, hexString, isoDateTime, pageOf } from "./common.ts";

export const listingPageSchema = pageOf(
  z.strictObject({
    id: decimalString,
    entitlementId: decimalString,
    productId: decimalString,
    priceMinor: decimalString,
    currency: z.string(),
    createdAt: isoDateTime,
    provenance: z.strictObject({
      batchId: decimalString,
      anchored: z.boolean(),
      anchorTx: hexString.nullable(),
      issued: z.boolean(),
      tokenId: decimalString.nullable(),
      issueTx: hexString.nullable(),
      transferCount: z.number().int(),
    }),
  }),
);

export const listingSchema = z.strictObject({
  id: decimalString,
  entitlementId: decimalString,
  productId: decimalString,
  priceMinor: decimalString,
  currency: z.string(),
  state: z.string(),
  createdAt: isoDateTime,
});

export const cancelledListingSchema = z.strictObject({ id: decimalString, state: z.literal("cancelled") });

export const resalePurchaseSchema = z.strictObject({
  id: z.string(),
  listingId: decimalString,
  priceMinor: decimalString,
  currency: z.string(),
  state: z.enum(["awaiting_payment", "settled", "expired", "refund_pending"]),
  expiresAt: isoDateTime,
  paymentUrl: z.string(),
});

export const ownedEntitlementPageSchema = pageOf(
  z.strictObject({
    id: decimalString,
    productId: decimalString,
    state: z.enum(["sealed", "redeemed", "revoked"]),
    tokenId: decimalString.nullable(),
    issueState: z.string(),
    inCustody: z.boolean(),
    wallet: address.nullable(),
    listingId: decimalString.nullable(),
  }),
);

export const revealedEntitlementSchema = z.strictObject({
  entitlementId: decimalString,
  state: z.literal("redeemed"),
  code: z.string(),
  tokenId: decimalString.nullable(),
});

export const revocationSchema = z.strictObject({
  entitlementId: decimalString,
  state: z.literal("revoked"),
  listingPulled: z.boolean(),
  heldProceedsReturned: z.boolean(),
});

export const entitlementTimelineSchema = z.strictObject({
  entitlementId: decimalString,
  tokenId: decimalString.nullable(),
  state: z.string(),
  steps: z.array(
    z.strictObject({
      kind: z.enum(["anchored", "sold", "issued", "resold", "transferred", "withdrawn", "deposited", "redeemed", "revoked"]),
      transactionHash: hexString.nullable(),
      time: isoDateTime.nullable(),
      details: z.record(z.string(), z.unknown()),
    }),
  ),
});
