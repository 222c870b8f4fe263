// Response schemas of the ledger routes (api/http/routes/ledger.ts).
import { z } from "zod";
import { address, decimalString, hexString, isoDateTime, pageOf } from "./common.ts";

const holdStates = ["pending", "posted", "voided", "expired"] as const;

export const shopBalanceSchema = z.strictObject({
  balances: z.array(z.strictObject({ currency: z.string(), availableMinor: decimalString, heldMinor: decimalString })),
  pendingHolds: z.array(
    z.strictObject({
      holdId: decimalString,
      referenceType: z.string(),
      referenceId: z.string(),
      amountMinor: decimalString,
      currency: z.string(),
      expiresAt: isoDateTime.nullable(),
      createdAt: isoDateTime,
    }),
  ),
  /** Merchant-collected sales (the shop's own gateway): fees owed, prepaid, and what the shop took itself. */
  fees: z.array(z.strictObject({ currency: z.string(), owedMinor: decimalString, prepaidMinor: decimalString, collectedMinor: decimalString })).optional(),
});

const statementLineSchema = z.strictObject({
  transactionId: decimalString,
  kind: z.string(),
  referenceType: z.string(),
  referenceId: z.string(),
  amountMinor: decimalString,
  balanceAfterMinor: decimalString,
  createdAt: isoDateTime,
});

/** One page of a ledger account's postings, newest first, with the account's current balance. */
export const statementPageSchema = pageOf(statementLineSchema).extend({ accountId: decimalString, currency: z.string(), balanceMinor: decimalString });

export const payoutRequestedSchema = z.strictObject({
  payoutId: z.string(),
  holdId: decimalString,
  transactionId: decimalString,
  /** False when the request id was seen before: the same payout is returned. */
  created: z.boolean(),
  expiresAt: isoDateTime,
  /** The AML rules that hold this payout for review (empty: none); it is approved only once their alerts are cleared. */
  amlReview: z.array(z.enum(["payout_threshold", "payout_velocity", "flagged_wallet"])),
});

export const payoutDecidedSchema = z.strictObject({ holdId: decimalString, transactionId: decimalString, state: z.enum(holdStates), created: z.boolean() });

export const trialBalanceSchema = z.strictObject({
  currencies: z.array(
    z.strictObject({
      currency: z.string(),
      rows: z.array(
        z.strictObject({ ownerType: z.string(), purpose: z.string(), debitsMinor: decimalString, creditsMinor: decimalString, balanceMinor: decimalString }),
      ),
      totalMinor: decimalString,
      balanced: z.boolean(),
    }),
  ),
});

export const orderReconciliationSchema = z.strictObject({
  findings: z.array(
    z.strictObject({
      orderId: z.string(),
      problem: z.enum(["paid_mismatch", "unmatched_mismatch", "refund_without_payment", "refund_exceeds_payment"]),
      ledgerMinor: decimalString,
      paymentsMinor: decimalString,
      message: z.string(),
    }),
  ),
});

export const chainPaymentReconciliationSchema = z.strictObject({
  chainId: z.number().int(),
  findings: z.array(
    z.strictObject({
      orderId: z.string().nullable(),
      problem: z.enum(["chain_amount_mismatch", "chain_payment_not_in_ledger"]),
      ledgerMinor: decimalString,
      chainMinor: decimalString,
      message: z.string(),
    }),
  ),
});

/** An anchor of the journal's Merkle log on-chain, as the journal export carries it. */
const journalAnchorSchema = z.strictObject({
  size: decimalString,
  root: hexString,
  transactionHash: hexString,
  blockNumber: decimalString,
  chainId: decimalString,
  contractAddress: address,
});

export const anchorPageSchema = pageOf(
  journalAnchorSchema.extend({
    previousSize: decimalString,
    transactionIds: z.array(decimalString),
    transactionCount: decimalString,
  }),
);

export const inclusionProofSchema = z.strictObject({
  transactionId: decimalString,
  seq: decimalString,
  leafIndex: decimalString,
  treeSize: decimalString,
  chainHash: hexString,
  leafHash: hexString,
  root: hexString,
  path: z.array(hexString),
  anchor: z.strictObject({ transactionHash: hexString, blockNumber: decimalString, chainId: decimalString, contractAddress: address }).nullable(),
});

export const consistencyProofSchema = z.strictObject({
  firstSize: decimalString,
  secondSize: decimalString,
  firstRoot: hexString,
  secondRoot: hexString,
  proof: z.array(hexString),
});

/** A prepaid top-up (api/services/shops/topups.ts, TopupView). */
export const topupSchema = z.strictObject({
  id: z.string(),
  shopId: decimalString,
  amountMinor: decimalString,
  currency: z.string(),
  state: z.enum(["awaiting_payment", "paid"]),
  createdAt: isoDateTime,
  paidAt: isoDateTime.nullable(),
  paymentUrl: z.string().nullable(),
});

/** The journal export, keyledger-journal-v1 (api/ledger/journalExport.ts; docs/ledger.md). */
export const journalExportSchema = z.strictObject({
  format: z.literal("keyledger-journal-v1"),
  exportedAt: isoDateTime,
  entries: z.array(
    z.strictObject({
      seq: decimalString,
      contentHash: z.string(),
      chainHash: z.string(),
      entry: z.strictObject({
        id: decimalString,
        idempotencyKey: z.string(),
        payloadHash: z.string(),
        kind: z.string(),
        referenceType: z.string(),
        referenceId: z.string(),
        metadata: z.record(z.string(), z.unknown()),
        createdAtMicros: decimalString,
        postings: z.array(z.strictObject({ accountId: decimalString, amountMinor: decimalString, currency: z.string() })),
      }),
    }),
  ),
  anchors: z.array(journalAnchorSchema),
  unchainedCount: decimalString,
});
