// Response shapes of the compliance routes (docs/compliance.md): AML alerts, decisions and the
// regulator's export; a person's data export, erasure and legal holds.
import { z } from "zod";
import { address, decimalString, isoDateTime } from "./common.ts";
import { inclusionProofSchema } from "./ledger.ts";

const alertEntrySchema = z.strictObject({
  transactionId: decimalString,
  kind: z.string(),
  referenceType: z.string(),
  referenceId: z.string(),
  createdAt: isoDateTime,
  postings: z.array(
    z.strictObject({
      accountId: decimalString,
      ownerType: z.string(),
      ownerId: decimalString,
      purpose: z.string(),
      currency: z.string(),
      amountMinor: decimalString,
    }),
  ),
});

const alertFields = {
  id: decimalString,
  rule: z.enum(["payout_threshold", "payout_velocity", "flagged_wallet", "structuring", "volume_spike"]),
  /** Whose money: a shop's (shopId) or a distributor's, an agent or referrer (distributorAccountId); exactly one is set. */
  shopId: decimalString.nullable(),
  distributorAccountId: decimalString.nullable(),
  payoutId: z.string().nullable(),
  currency: z.string(),
  amountMinor: decimalString,
  details: z.record(z.string(), z.unknown()),
  state: z.enum(["open", "cleared", "frozen", "released"]),
  freezeHoldId: decimalString.nullable(),
  createdAt: isoDateTime,
  decisions: z.array(
    z.strictObject({
      decision: z.enum(["clear", "freeze", "release"]),
      reason: z.string(),
      decidedBy: decimalString,
      decidedAt: isoDateTime,
      holdId: decimalString.nullable(),
    }),
  ),
};

export const amlAlertSchema = z.strictObject({ ...alertFields, entries: z.array(alertEntrySchema) });
export const amlAlertListSchema = z.strictObject({ items: z.array(amlAlertSchema), nextCursor: z.string().nullable() });
export const amlDecidedSchema = z.strictObject({ alertId: decimalString, state: z.enum(["cleared", "frozen", "released"]), holdId: decimalString.nullable() });
export const amlExportSchema = z.strictObject({
  format: z.literal("keyledger-aml-export-v1"),
  generatedAt: isoDateTime,
  chainSize: decimalString,
  alerts: z.array(z.strictObject({ ...alertFields, entries: z.array(alertEntrySchema.extend({ inclusionProof: inclusionProofSchema.nullable() })) })),
});
export const flaggedWalletListSchema = z.strictObject({
  items: z.array(z.strictObject({ address, reason: z.string(), source: z.enum(["admin", "configuration"]) })),
});

export const personalDataExportSchema = z.strictObject({
  format: z.literal("keyledger-personal-data-v1"),
  generatedAt: isoDateTime,
  accountId: decimalString,
  records: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
  guestOrders: z.array(z.record(z.string(), z.unknown())),
  ledgerAccounts: z.array(z.record(z.string(), z.unknown())),
  omitted: z.string(),
});
export const erasureSchema = z.strictObject({ erasedAt: isoDateTime, summary: z.record(z.string(), z.number().int()) });
export const legalHoldSchema = z.strictObject({ id: decimalString });
