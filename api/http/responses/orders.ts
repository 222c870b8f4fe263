// Response schemas of the order routes (api/http/routes/orders.ts, api/http/routes/merchant.ts).
import { z } from "zod";
import { address, decimalString, hexString, isoDateTime, pageOf } from "./common.ts";

export const orderStates = ["awaiting_payment", "paid", "fulfilled", "expired", "refund_pending", "refunded", "failed"] as const;
const chainWriteStates = ["pending", "submitted", "included", "confirmed", "failed"] as const;

export const orderItemSchema = z.strictObject({
  entitlementId: decimalString,
  keyId: decimalString,
  batchId: decimalString,
  leafIndex: z.number().int(),
  state: z.enum(["sealed", "redeemed", "revoked"]),
  /** The key itself: only for the buyer, only once revealed or delivered. */
  code: z.string().nullable(),
  tokenId: decimalString.nullable(),
  issueState: z.enum(chainWriteStates),
  issueTx: hexString.nullable(),
  certificateUrl: z.string(),
});

export const orderSchema = z.strictObject({
  id: z.string(),
  state: z.enum(orderStates),
  shopId: decimalString,
  productId: decimalString,
  productName: z.string(),
  quantity: z.number().int(),
  unitPriceMinor: decimalString,
  amountMinor: decimalString,
  currency: z.string(),
  paymentMethod: z.enum(["epay", "chain"]),
  contact: z.string().nullable(),
  expiresAt: isoDateTime,
  paidAt: isoDateTime.nullable(),
  fulfilledAt: isoDateTime.nullable(),
  refundReason: z.string().nullable(),
  createdAt: isoDateTime,
  items: z.array(orderItemSchema),
  /** What the merchant delivered by hand (manual-delivery products); only the buyer sees it. */
  manualDelivery: z.string().nullable(),
  fx: z
    .strictObject({
      priceCurrency: z.string(),
      priceAmountMinor: decimalString,
      rate: z.string().describe("Major units of the order's currency per major unit of priceCurrency, the platform's rate at checkout"),
    })
    .nullable()
    .describe("Charged in another currency than the product's (docs/currencies.md); null otherwise"),
});

export const paymentSchema = z.discriminatedUnion("method", [
  z.strictObject({ method: z.literal("epay"), url: z.string() }),
  z.strictObject({
    method: z.literal("chain"),
    paymentAddress: address.nullable(),
    orderRef: hexString,
    asset: z.union([address, z.literal("native")]).nullable(),
    amountMinor: decimalString,
    currency: z.string(),
  }),
]);

export const createdOrderSchema = z.strictObject({ order: orderSchema, accessToken: z.string(), payment: paymentSchema });
export const foundOrderSchema = z.strictObject({ order: orderSchema, accessToken: z.string() });
/** A fresh access token, after the order's earlier ones were revoked. */
export const renewedAccessSchema = z.strictObject({ accessToken: z.string() });

export const orderSummarySchema = z.strictObject({
  id: z.string(),
  state: z.enum(orderStates),
  productId: decimalString,
  productName: z.string(),
  quantity: z.number().int(),
  amountMinor: decimalString,
  currency: z.string(),
  contact: z.string().nullable(),
  createdAt: isoDateTime,
  paidAt: isoDateTime.nullable(),
  fulfilledAt: isoDateTime.nullable(),
  deliveryMode: z.enum(["automatic", "manual"]),
});

export const orderSummaryPageSchema = pageOf(orderSummarySchema);
