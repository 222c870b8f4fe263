// Response schemas of the chain-record routes (api/http/routes/chain.ts): the redemption oracle,
// token timelines and the auditor's lists. Row fields are snake_case as the indexer stores them.
import { z } from "zod";
import { address, decimalString, hexString, isoDateTime, pageOf } from "./common.ts";

const chainFact = z.strictObject({ transactionHash: hexString, blockNumber: decimalString, time: isoDateTime.nullable(), final: z.boolean() });

export const oracleAnswerSchema = z.strictObject({
  tokenId: decimalString.nullable(),
  batchId: decimalString.nullable(),
  leafIndex: z.number().int().nullable(),
  anchored: chainFact.extend({ root: hexString }).nullable(),
  issued: chainFact.nullable(),
  redeemed: chainFact.nullable(),
  revoked: chainFact.nullable(),
  status: z.enum(["unknown", "anchored", "issued", "redeemed", "revoked"]),
});

export const tokenTimelineSchema = z.strictObject({
  tokenId: decimalString,
  entries: z.array(
    chainFact.extend({
      kind: z.enum(["anchored", "issued", "transferred", "custodial_transfer", "redeemed", "revoked"]),
      details: z.record(z.string(), z.unknown()),
    }),
  ),
});

const chainPosition = { block_number: decimalString, log_index: z.number().int(), transaction_hash: hexString };

export const chainRecordPageSchemas = {
  batches: pageOf(
    z.strictObject({
      ...chainPosition,
      batch_id: decimalString,
      shop_id: decimalString,
      root: hexString,
      key_count: decimalString,
      issuer: address,
      platform_state: z.string().nullable(),
      platform_root: z.string().nullable(),
    }),
  ),
  issuances: pageOf(
    z.strictObject({
      ...chainPosition,
      batch_id: decimalString,
      first_token_id: decimalString,
      token_count: decimalString,
      leaf_indexes: z.array(decimalString),
    }),
  ),
  transfers: pageOf(z.strictObject({ ...chainPosition, token_id: decimalString, from_address: address, to_address: address })),
  redemptions: pageOf(
    z.strictObject({
      ...chainPosition,
      token_id: decimalString,
      kind: z.string(),
      entitlement_id: decimalString.nullable(),
      platform_state: z.string().nullable(),
    }),
  ),
  payments: pageOf(
    z.strictObject({
      ...chainPosition,
      order_ref: hexString,
      order_id: z.string().nullable(),
      payer: address,
      token: address,
      amount: decimalString,
      platform_status: z.string().nullable(),
    }),
  ),
};

/** The run's row as the driver reads it: its timestamps in PostgreSQL's text form, not ISO 8601. */
const pgTimestamp = z.string();

export const findingsPageSchema = pageOf(
  z.strictObject({
    id: decimalString,
    runId: decimalString,
    kind: z.string(),
    subject: z.string(),
    subjectId: z.string(),
    details: z.unknown(),
    createdAt: isoDateTime,
  }),
).extend({
  /** The reconciliation run these findings belong to; null before the first run. */
  run: z
    .strictObject({
      id: decimalString,
      finalized_number: decimalString,
      started_at: pgTimestamp,
      finished_at: pgTimestamp.nullable(),
      checked: z.record(z.string(), z.unknown()),
    })
    .nullable(),
});

export const findingsCsvSchema = z.string().describe("The findings as CSV (format=csv); the next page's cursor in the X-Next-Cursor header");

export const auditLogPageSchema = pageOf(
  z.strictObject({
    id: decimalString,
    who: z.strictObject({ accountId: decimalString.nullable(), email: z.string().nullable() }),
    what: z.strictObject({ action: z.string(), subject: z.string().nullable(), details: z.unknown() }),
    when: isoDateTime,
  }),
);
