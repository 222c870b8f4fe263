// Reads journal transactions with their postings in the canonical stored form that the chain
// hashes and the journal export carries.
import { byteaHex } from "../../core/store/byteStrings.ts";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import type { StoredEntry } from "./canonical.ts";
import { integerArrayLiteral } from "../../core/store/sqlArrays.ts";

type Row = {
  id: bigint;
  idempotency_key: string;
  payload_hash: Buffer;
  kind: string;
  reference_type: string;
  reference_id: string;
  metadata: Record<string, unknown>;
  created_micros: string;
  postings: { a: string | number; x: string | number; c: string }[];
};

/** By ids (any order in, id order out), or a page of the chain in seq order. */
export async function readStoredEntries(db: Drizzle, selector: { ids: bigint[] } | { seqFrom: bigint; seqTo: bigint }): Promise<StoredEntry[]> {
  const filter =
    "ids" in selector
      ? sql`t.id = ANY(${integerArrayLiteral(selector.ids)}::bigint[]) ORDER BY t.id`
      : sql`t.id IN (SELECT tx_id FROM ledger_chain WHERE seq BETWEEN ${selector.seqFrom} AND ${selector.seqTo})`;
  const rows = await queryRows<Row>(
    db,
    sql`SELECT t.id, t.idempotency_key, t.payload_hash, t.kind, t.reference_type, t.reference_id, t.metadata,
               (extract(epoch FROM t.created_at) * 1000000)::bigint::text AS created_micros,
               (SELECT json_agg(json_build_object('a', p.account_id::text, 'x', p.amount_minor::text, 'c', p.currency) ORDER BY p.account_id)
                  FROM ledger_postings p WHERE p.tx_id = t.id) AS postings
        FROM ledger_transactions t WHERE ${filter}`,
  );
  return rows.map(toStoredEntry);
}

export function toStoredEntry(row: Row): StoredEntry {
  return {
    id: row.id.toString(),
    idempotencyKey: row.idempotency_key,
    payloadHash: byteaHex(row.payload_hash).slice(2),
    kind: row.kind,
    referenceType: row.reference_type,
    referenceId: row.reference_id,
    metadata: row.metadata,
    createdAtMicros: row.created_micros,
    postings: (row.postings ?? []).map((posting) => ({
      accountId: String(posting.a),
      amountMinor: String(posting.x),
      currency: posting.c,
    })),
  };
}
