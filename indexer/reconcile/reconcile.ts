// Reconciliation: after finality, every batch, issuance, payment and redemption in the
// database is compared with its on-chain event, and every final on-chain event with its
// database row. Sold keys are checked cryptographically: the key row's leaf (recomputed from
// its stored values) must verify with its stored proof against the root anchored on-chain, so a
// key row or a batch root changed directly in the database is found. Findings are stored per
// run (reconciliation_runs / reconciliation_findings) and read by the auditor's report.
import type { Hex } from "viem";
import { byteaHex } from "../../core/store/byteStrings.ts";
import { checkIssuedKeys } from "./checkIssuedKeys.ts";
import type { SqlSession } from "../store/session.ts";
import { sql, type SQL } from "../store/sql.ts";

export type FindingKind = "missing_on_chain" | "missing_off_chain" | "mismatch" | "reorged";
export type Finding = {
  kind: FindingKind;
  subject: "batch" | "issuance" | "payment" | "redemption" | "key";
  subjectId: string;
  details: Record<string, unknown>;
};

export type ReconcileParameters = {
  chainId: number;
  registryAddress: Hex;
  /** A redemption recorded in the database this long ago must be final on-chain by now. */
  redemptionGraceSeconds: number;
};

const hexOf = (value: Uint8Array | null) => (value ? byteaHex(value) : null);

export async function reconcile(session: SqlSession, parameters: ReconcileParameters): Promise<{ runId: bigint; findings: Finding[] }> {
  const { chainId } = parameters;
  const { rows: checkpointRows } = await session.query<{ finalized_number: bigint }>(
    sql`SELECT finalized_number FROM indexer_checkpoints WHERE chain_id = ${chainId}`,
  );
  const finalized = checkpointRows[0]?.finalized_number ?? -1n;
  const findings: Finding[] = [];
  const add = (finding: Finding) => findings.push(finding);

  // Batches against BatchAnchored.
  const { rows: batches } = await session.query<{
    id: bigint;
    shop_id: bigint;
    key_count: number;
    root: Buffer | null;
    anchor_state: string;
    anchor_tx: string | null;
    anchor_block: bigint | null;
    chain_tx: string | null;
    chain_root: string | null;
    chain_shop: string | null;
    chain_count: string | null;
  }>(
    sql`SELECT b.id, b.shop_id, b.key_count, b.root, b.anchor_state, b.anchor_tx, b.anchor_block,
            a.transaction_hash AS chain_tx, a.root AS chain_root, a.shop_id::text AS chain_shop, a.key_count::text AS chain_count
     FROM batches b LEFT JOIN chain_batch_anchors a ON a.chain_id = ${chainId} AND a.batch_id = b.id AND a.block_number <= ${finalized}
     WHERE b.anchor_state IN ('included','confirmed') AND (b.anchor_block IS NULL OR b.anchor_block <= ${finalized})`,
  );
  for (const batch of batches) {
    const id = String(batch.id);
    if (!batch.chain_tx) {
      add({ kind: "missing_on_chain", subject: "batch", subjectId: id, details: { anchorState: batch.anchor_state, anchorTx: batch.anchor_tx } });
      continue;
    }
    if (batch.anchor_tx && batch.anchor_tx.toLowerCase() !== batch.chain_tx) {
      add({ kind: "reorged", subject: "batch", subjectId: id, details: { databaseTx: batch.anchor_tx, chainTx: batch.chain_tx } });
    }
    const differences: Record<string, unknown> = {};
    if (hexOf(batch.root) !== batch.chain_root) differences.root = { database: hexOf(batch.root), chain: batch.chain_root };
    if (String(batch.shop_id) !== batch.chain_shop) differences.shopId = { database: String(batch.shop_id), chain: batch.chain_shop };
    if (String(batch.key_count) !== batch.chain_count) differences.keyCount = { database: String(batch.key_count), chain: batch.chain_count };
    if (Object.keys(differences).length > 0) add({ kind: "mismatch", subject: "batch", subjectId: id, details: differences });
  }
  const { rows: orphanAnchors } = await session.query<{ batch_id: string; transaction_hash: string }>(
    sql`SELECT a.batch_id::text, a.transaction_hash FROM chain_batch_anchors a
     WHERE a.chain_id = ${chainId} AND a.block_number <= ${finalized} AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = a.batch_id)`,
  );
  for (const anchor of orphanAnchors)
    add({ kind: "missing_off_chain", subject: "batch", subjectId: anchor.batch_id, details: { chainTx: anchor.transaction_hash } });

  // Issuances: confirmed entitlements against the token's (batch, leaf) on-chain, and the sold
  // key's leaf against the anchored root (checkIssuedKeys.ts: batch by batch, bounded memory).
  const issued = await checkIssuedKeys(session, { chainId, registryAddress: parameters.registryAddress, finalized }, add);
  const { rows: orphanTokens } = await session.query<{ token_id: string; transaction_hash: string }>(
    sql`SELECT t.token_id::text, t.transaction_hash FROM chain_tokens t
     WHERE t.chain_id = ${chainId} AND t.block_number <= ${finalized} AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.token_id = t.token_id)`,
  );
  for (const token of orphanTokens)
    add({ kind: "missing_off_chain", subject: "issuance", subjectId: token.token_id, details: { chainTx: token.transaction_hash } });

  // Redemptions: Locked on-chain against entitlements.state.
  const redemptions = await countAndSuspects<{ id: string; token_id: string; state: string; locked: boolean; overdue: boolean }>(
    session,
    sql`SELECT e.id::text AS id, e.token_id::text AS token_id, e.state,
            EXISTS (SELECT 1 FROM chain_token_states s WHERE s.chain_id = ${chainId} AND s.token_id = e.token_id AND s.kind = 'locked' AND s.block_number <= ${finalized}) AS locked,
            coalesce(e.revealed_at < now() - make_interval(secs => ${parameters.redemptionGraceSeconds}), false) AS overdue
     FROM entitlements e WHERE e.token_id IS NOT NULL AND e.issue_state = 'confirmed'`,
    sql`(state = 'redeemed' AND NOT locked AND overdue) OR (state = 'sealed' AND locked)`,
  );
  for (const row of redemptions.suspects) {
    if (row.state === "redeemed" && !row.locked && row.overdue)
      add({ kind: "missing_on_chain", subject: "redemption", subjectId: row.id, details: { tokenId: row.token_id } });
    if (row.state === "sealed" && row.locked)
      add({ kind: "mismatch", subject: "redemption", subjectId: row.id, details: { tokenId: row.token_id, database: "sealed", chain: "locked" } });
  }

  // Payments: chain payments in the database against OrderPaid, and the reverse.
  const payments = await countAndSuspects<{
    id: string;
    provider_ref: string;
    amount_minor: string;
    order_id: string;
    chain_amount: string | null;
    chain_order: string | null;
  }>(
    session,
    sql`SELECT p.id::text AS id, p.provider_ref, p.amount_minor::text AS amount_minor, p.order_id, c.amount::text AS chain_amount, c.order_id AS chain_order
     FROM payments p LEFT JOIN chain_payments c ON c.chain_id = ${chainId} AND c.block_number <= ${finalized}
       AND p.provider_ref = c.chain_id || ':' || c.transaction_hash || ':' || c.log_index
     WHERE p.provider = 'chain'`,
    sql`chain_amount IS NULL OR chain_amount <> amount_minor OR chain_order IS DISTINCT FROM order_id`,
  );
  for (const row of payments.suspects) {
    if (row.chain_amount === null) add({ kind: "missing_on_chain", subject: "payment", subjectId: row.id, details: { providerRef: row.provider_ref } });
    else if (row.chain_amount !== row.amount_minor || row.chain_order !== row.order_id) {
      add({
        kind: "mismatch",
        subject: "payment",
        subjectId: row.id,
        details: { database: { amount: row.amount_minor, orderId: row.order_id }, chain: { amount: row.chain_amount, orderId: row.chain_order } },
      });
    }
  }
  const { rows: orphanPayments } = await session.query<{ ref: string; order_id: string | null }>(
    sql`SELECT c.chain_id || ':' || c.transaction_hash || ':' || c.log_index AS ref, c.order_id FROM chain_payments c
     WHERE c.chain_id = ${chainId} AND c.block_number <= ${finalized}
       AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.provider = 'chain' AND p.provider_ref = c.chain_id || ':' || c.transaction_hash || ':' || c.log_index)`,
  );
  for (const row of orphanPayments) add({ kind: "missing_off_chain", subject: "payment", subjectId: row.ref, details: { orderId: row.order_id } });

  const runId = await session.transaction(async (inner) => {
    const { rows } = await inner.query<{ id: bigint }>(
      sql`INSERT INTO reconciliation_runs (chain_id, finalized_number, finished_at, checked)
          VALUES (${chainId}, ${finalized}, now(), ${JSON.stringify({ batches: batches.length, issuances: issued, redemptions: redemptions.checked, payments: payments.checked })})
          RETURNING id`,
    );
    const id = rows[0]!.id;
    if (findings.length > 0) {
      await inner.query(
        sql`INSERT INTO reconciliation_findings (run_id, kind, subject, subject_id, details)
         SELECT ${id}, * FROM unnest(${sql.param(findings.map((f) => f.kind))}::text[], ${sql.param(findings.map((f) => f.subject))}::text[],
                                      ${sql.param(findings.map((f) => f.subjectId))}::text[], ${sql.param(findings.map((f) => JSON.stringify(f.details)))}::jsonb[])`,
      );
    }
    return id;
  });
  return { runId: BigInt(runId), findings };
}

/**
 * How many rows `query` compares, and only those `suspect` (a condition on its columns) keeps:
 * the comparison runs in PostgreSQL, so a run holds its findings in memory, not every row it
 * checked (a million entitlements once a shop has sold a million keys).
 */
async function countAndSuspects<Row>(session: SqlSession, query: SQL, suspect: SQL): Promise<{ checked: number; suspects: Row[] }> {
  const { rows } = await session.query<{ checked: number; suspects: Row[] }>(
    sql`WITH r AS (${query})
     SELECT (SELECT count(*) FROM r)::int AS checked, coalesce((SELECT json_agg(r) FROM r WHERE ${suspect}), '[]'::json) AS suspects`,
  );
  return rows[0]!;
}
