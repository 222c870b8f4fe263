// Answers of the disputes routes (api/http/routes/disputes.ts, docs/disputes.md).
import { z } from "zod";
import { decimalString, isoDateTime, pageOf } from "./common.ts";

const nullableIso = isoDateTime.nullable();

export const disputeSchema = z.strictObject({
  id: decimalString,
  orderId: z.string(),
  shopId: decimalString,
  ticketId: z.string().nullable(),
  entitlementId: decimalString.nullable(),
  category: z.enum(["key_invalid", "key_already_used", "wrong_product", "not_received", "other"]),
  statement: z.string(),
  state: z.enum(["open", "rejected", "escalated", "resolved"]),
  outcome: z.enum(["refunded", "replaced", "rejected"]).nullable(),
  outcomeReason: z.string().nullable(),
  decidedBy: z.enum(["merchant", "admin", "deadline"]).nullable(),
  escalationDeadline: isoDateTime,
  escalatedBy: z.enum(["buyer", "merchant"]).nullable(),
  escalatedAt: nullableIso,
  answerDeadline: nullableIso,
  answer: z.string().nullable(),
  answeredAt: nullableIso,
  openedAt: isoDateTime,
  decidedAt: nullableIso,
  refunds: z.array(
    z.strictObject({
      amountMinor: decimalString,
      currency: z.string(),
      channel: z.enum(["buyer_balance", "platform_refunds", "merchant_gateway"]),
      transactionId: decimalString,
      createdAt: isoDateTime,
    }),
  ),
  replacement: z.strictObject({ oldEntitlementId: decimalString, newEntitlementId: decimalString }).nullable(),
});

const timelineStepSchema = z.strictObject({
  kind: z.enum(["anchored", "sold", "issued", "resold", "transferred", "withdrawn", "deposited", "redeemed", "revoked"]),
  transactionHash: z.string().nullable(),
  time: nullableIso,
  details: z.record(z.string(), z.unknown()),
});

export const disputeEvidenceSchema = z.strictObject({
  orderId: z.string(),
  paidAt: nullableIso,
  deliveredAt: nullableIso,
  keys: z.array(
    z.strictObject({
      entitlementId: decimalString,
      tokenId: decimalString.nullable(),
      state: z.string(),
      revealedAt: nullableIso,
      firstView: z.strictObject({ viewedAt: isoDateTime, networkRegion: z.string().nullable(), deviceClass: z.string(), channel: z.string() }).nullable(),
      viewCount: z.number().int(),
      redeemedOnChain: z.strictObject({ transactionHash: z.string().nullable(), time: nullableIso }).nullable(),
      transferred: z.boolean(),
      withdrawn: z.boolean(),
      revoked: z.boolean(),
      timeline: z.array(timelineStepSchema),
      sameCodeElsewhere: z.array(z.strictObject({ shopId: decimalString, entitlementState: z.string().nullable(), redeemedOnChain: z.boolean() })),
    }),
  ),
  ledger: z.array(
    z.strictObject({
      transactionId: decimalString,
      kind: z.string(),
      createdAt: isoDateTime,
      postings: z.array(z.strictObject({ account: z.string(), amountMinor: decimalString, currency: z.string() })),
    }),
  ),
});

export const disputePageSchema = z.strictObject({
  dispute: disputeSchema,
  evidence: disputeEvidenceSchema,
  party: z.enum(["buyer", "merchant", "admin", "auditor"]),
});

export const disputeQueueSchema = pageOf(disputeSchema);

/** A shop's own list: each dispute with its order's amount and the deadline that comes next (null once resolved). */
export const shopDisputePageSchema = pageOf(disputeSchema.extend({ orderAmountMinor: decimalString, currency: z.string(), deadline: nullableIso }));

export const shopReputationSchema = z.strictObject({
  shopId: decimalString,
  paidOrders: z.number().int(),
  disputedOrders: z.number().int(),
  refundedOrders: z.number().int(),
  disputeRateBps: z.number().int(),
  refundRateBps: z.number().int(),
  firstReplyMedianSeconds: z.number().nullable(),
  holdsExtended: z.boolean(),
});

export const afterSalesWindowsSchema = z.strictObject({
  items: z.array(z.strictObject({ category: z.string(), windowSeconds: z.number().int() })),
});
