// The comparisons of reconciliation other than the sold keys' cryptography (checkIssuedKeys.ts),
// each one page at a time (walk.ts) and compared in SQL where the comparison is plain:
// batches against BatchAnchored and back, redemptions (Locked against entitlements.state),
// final tokens without an entitlement, chain payments against OrderPaid and back.
//
// A check of chain records also returns the database rows they name (the batch an anchor
// anchors, the entitlement a token or a lock is about, the payment of an OrderPaid), so that a
// run can check the rows whose chain facts became final since the previous run.
import { byteaHex } from "../../core/store/byteStrings.ts";
import type { SqlSession } from "../store/session.ts";
import { sql, type SQL } from "../store/sql.ts";
import type { Finding } from "./reconcile.ts";
import type { BlockPosition, IdPageResult, PageResult } from "./walk.ts";

export type CheckContext = {
  session: SqlSession;
  chainId: number;
  finalized: bigint;
  redemptionGraceSeconds: number;
  add: (finding: Finding) => void;
};

/** A page of chain records: what it checked, and the ids of the database rows they name. */
export type ChainPageResult = PageResult<BlockPosition> & { named: bigint[] };

const lastPosition = (rows: { block_number: string; log_index: number }[]): BlockPosition | null =>
  rows.length > 0 ? { block: BigInt(rows[rows.length - 1]!.block_number), log: rows[rows.length - 1]!.log_index } : null;
// The platform's ids are bigint; an on-chain uint64 above that names no row (a cast would fail).
const asBigint = (numeric: SQL) => sql`CASE WHEN ${numeric} <= 9223372036854775807 THEN ${numeric}::bigint END`;

/** Anchored batches (alias b) against BatchAnchored. */
export async function checkBatches(context: CheckContext, where: SQL, limit: number): Promise<IdPageResult> {
  const { chainId, finalized, add } = context;
  const { rows } = await context.session.query<{
    id: string;
    shop_id: string;
    key_count: number;
    root: Uint8Array | null;
    anchor_state: string;
    anchor_tx: string | null;
    chain_tx: string | null;
    chain_root: string | null;
    chain_shop: string | null;
    chain_count: string | null;
  }>(
    sql`SELECT b.id::text, b.shop_id::text, b.key_count, b.root, b.anchor_state, b.anchor_tx,
            a.transaction_hash AS chain_tx, a.root AS chain_root, a.shop_id::text AS chain_shop, a.key_count::text AS chain_count
     FROM batches b LEFT JOIN LATERAL (SELECT * FROM chain_batch_anchors a
                                       WHERE a.chain_id = ${chainId} AND a.batch_id = b.id AND a.block_number <= ${finalized}
                                       ORDER BY a.block_number, a.log_index LIMIT 1) a ON true
     WHERE b.anchor_state IN ('included','confirmed') AND (b.anchor_block IS NULL OR b.anchor_block <= ${finalized}) AND ${where}
     ORDER BY b.id LIMIT ${limit}`,
  );
  for (const batch of rows) {
    if (!batch.chain_tx) {
      add({ kind: "missing_on_chain", subject: "batch", subjectId: batch.id, details: { anchorState: batch.anchor_state, anchorTx: batch.anchor_tx } });
      continue;
    }
    if (batch.anchor_tx && batch.anchor_tx.toLowerCase() !== batch.chain_tx) {
      add({ kind: "reorged", subject: "batch", subjectId: batch.id, details: { databaseTx: batch.anchor_tx, chainTx: batch.chain_tx } });
    }
    const differences: Record<string, unknown> = {};
    const root = batch.root ? byteaHex(batch.root) : null;
    if (root !== batch.chain_root) differences.root = { database: root, chain: batch.chain_root };
    if (batch.shop_id !== batch.chain_shop) differences.shopId = { database: batch.shop_id, chain: batch.chain_shop };
    if (String(batch.key_count) !== batch.chain_count) differences.keyCount = { database: String(batch.key_count), chain: batch.chain_count };
    if (Object.keys(differences).length > 0) add({ kind: "mismatch", subject: "batch", subjectId: batch.id, details: differences });
  }
  return { count: rows.length };
}

/** Final BatchAnchored records (alias a) without a batch; names the batches that exist. */
export async function checkAnchors(context: CheckContext, where: SQL, limit: number): Promise<ChainPageResult> {
  const { rows } = await context.session.query<{ block_number: string; log_index: number; batch_id: string; transaction_hash: string; known: string | null }>(
    sql`SELECT a.block_number::text, a.log_index, a.batch_id::text, a.transaction_hash,
            (SELECT b.id::text FROM batches b WHERE b.id = ${asBigint(sql`a.batch_id`)}) AS known
     FROM chain_batch_anchors a WHERE a.chain_id = ${context.chainId} AND a.block_number <= ${context.finalized} AND ${where}
     ORDER BY a.block_number, a.log_index LIMIT ${limit}`,
  );
  const named: bigint[] = [];
  for (const anchor of rows) {
    if (anchor.known === null)
      context.add({ kind: "missing_off_chain", subject: "batch", subjectId: anchor.batch_id, details: { chainTx: anchor.transaction_hash } });
    else named.push(BigInt(anchor.known));
  }
  return { count: rows.length, last: lastPosition(rows), named };
}

/** Redemptions of confirmed entitlements (alias e): Locked on-chain against entitlements.state. */
export async function checkRedemptions(context: CheckContext, where: SQL, limit: number): Promise<IdPageResult> {
  const { chainId, finalized } = context;
  const { rows } = await context.session.query<{
    checked: number;
    suspects: { id: string; token_id: string; state: string; locked: boolean }[];
  }>(
    sql`WITH r AS (
       SELECT e.id, e.token_id::text AS token_id, e.state,
              EXISTS (SELECT 1 FROM chain_token_states s WHERE s.chain_id = ${chainId} AND s.token_id = e.token_id AND s.kind = 'locked' AND s.block_number <= ${finalized}) AS locked,
              coalesce(e.revealed_at < now() - make_interval(secs => ${context.redemptionGraceSeconds}), false) AS overdue
       FROM entitlements e WHERE e.token_id IS NOT NULL AND e.issue_state = 'confirmed' AND ${where}
       ORDER BY e.id LIMIT ${limit})
     SELECT (SELECT count(*) FROM r)::int AS checked,
            coalesce((SELECT json_agg(json_build_object('id', id::text, 'token_id', token_id, 'state', state, 'locked', locked) ORDER BY id) FROM r
                      WHERE (state = 'redeemed' AND NOT locked AND overdue) OR (state = 'sealed' AND locked)), '[]'::json) AS suspects`,
  );
  const { checked, suspects } = rows[0]!;
  for (const row of suspects) {
    if (row.state === "redeemed") context.add({ kind: "missing_on_chain", subject: "redemption", subjectId: row.id, details: { tokenId: row.token_id } });
    else context.add({ kind: "mismatch", subject: "redemption", subjectId: row.id, details: { tokenId: row.token_id, database: "sealed", chain: "locked" } });
  }
  return { count: checked };
}

/**
 * Final tokens without an entitlement, over the issuances (alias i) `where` selects; names the
 * entitlements of the others. An issuance carries at most ISSUE_BATCH_SIZE_MAX tokens, so a
 * page of `limit` issuances is bounded.
 */
export async function checkTokens(context: CheckContext, where: SQL, limit: number): Promise<ChainPageResult> {
  const { chainId, finalized } = context;
  // Tokens are expanded from the page's own issuances (token first_token_id + i is leaf
  // leaf_indexes[i + 1]); joined through the chain_tokens view, PostgreSQL could expand every
  // issuance ever made for each page. Each token is looked up through the unique token_id index
  // (LIMIT 1 keeps it a probe per token: once analysed, PGlite's planner chose a hash join over
  // every entitlement instead, 155 ms a page at 100,000 sold keys).
  const { rows } = await context.session.query<{
    positions: { block_number: string; log_index: number }[];
    tokens: { token_id: string; tx: string; id: string | null }[];
  }>(
    sql`WITH i AS (SELECT i.block_number, i.log_index, i.transaction_hash, i.first_token_id, i.leaf_indexes FROM chain_issuances i
                   WHERE i.chain_id = ${chainId} AND i.block_number <= ${finalized} AND ${where}
                   ORDER BY i.block_number, i.log_index LIMIT ${limit}),
          t AS (SELECT i.first_token_id + (u.position - 1) AS token_id, i.transaction_hash
                FROM i CROSS JOIN LATERAL unnest(i.leaf_indexes) WITH ORDINALITY AS u(leaf_index, position))
     SELECT coalesce((SELECT json_agg(json_build_object('block_number', block_number::text, 'log_index', log_index) ORDER BY block_number, log_index) FROM i), '[]'::json) AS positions,
            coalesce((SELECT json_agg(json_build_object('token_id', t.token_id::text, 'tx', t.transaction_hash, 'id', e.id::text))
                      FROM t LEFT JOIN LATERAL (SELECT e.id FROM entitlements e WHERE e.token_id = t.token_id AND e.token_id IS NOT NULL LIMIT 1) e ON true), '[]'::json) AS tokens`,
  );
  const { positions, tokens } = rows[0]!;
  return { count: positions.length, last: lastPosition(positions), named: namedOrOrphans(context, tokens) };
}

/** The same for a list of token ids (a previous run's findings). */
export async function checkTokenIds(context: CheckContext, tokenIds: string[]): Promise<{ count: number }> {
  const { rows } = await context.session.query<{ token_id: string; tx: string; id: string | null }>(
    sql`SELECT t.token_id::text, t.transaction_hash AS tx, e.id::text AS id
     FROM unnest(${sql.param(tokenIds)}::numeric[]) AS wanted(token_id)
       CROSS JOIN LATERAL chain_token(${context.chainId}, wanted.token_id) t
       LEFT JOIN entitlements e ON e.token_id = t.token_id
     WHERE t.block_number <= ${context.finalized}`,
  );
  namedOrOrphans(context, rows);
  return { count: rows.length };
}

function namedOrOrphans(context: CheckContext, tokens: { token_id: string; tx: string; id: string | null }[]): bigint[] {
  const named: bigint[] = [];
  for (const token of tokens) {
    if (token.id === null) context.add({ kind: "missing_off_chain", subject: "issuance", subjectId: token.token_id, details: { chainTx: token.tx } });
    else named.push(BigInt(token.id));
  }
  return named;
}

/** Final Locked records (alias s): names their entitlements, whose redemptions are then checked. */
export async function lockedTokens(context: CheckContext, where: SQL, limit: number): Promise<ChainPageResult> {
  const { rows } = await context.session.query<{ block_number: string; log_index: number; id: string | null }>(
    sql`SELECT s.block_number::text, s.log_index, e.id::text AS id
     FROM chain_token_states s LEFT JOIN entitlements e ON e.token_id = s.token_id
     WHERE s.chain_id = ${context.chainId} AND s.block_number <= ${context.finalized} AND ${where}
     ORDER BY s.block_number, s.log_index LIMIT ${limit}`,
  );
  return { count: rows.length, last: lastPosition(rows), named: rows.flatMap((row) => (row.id === null ? [] : [BigInt(row.id)])) };
}

// A chain payment's provider_ref is `chainId:transactionHash:logIndex` (processChainPayments.ts).
const paymentRef = (c: SQL) => sql`${c}.chain_id || ':' || ${c}.transaction_hash || ':' || ${c}.log_index`;

/** Chain payments (alias p) against their OrderPaid record. */
export async function checkPayments(context: CheckContext, where: SQL, limit: number): Promise<IdPageResult> {
  const { rows } = await context.session.query<{
    checked: number;
    suspects: { id: string; provider_ref: string; amount_minor: string; order_id: string; chain_amount: string | null; chain_order: string | null }[];
  }>(
    sql`WITH r AS (
       SELECT p.id, p.provider_ref, p.amount_minor::text AS amount_minor, p.order_id, c.amount::text AS chain_amount, c.order_id AS chain_order
       FROM payments p LEFT JOIN chain_payments c ON c.chain_id = ${context.chainId} AND c.block_number <= ${context.finalized}
         AND c.transaction_hash = split_part(p.provider_ref, ':', 2) AND p.provider_ref = ${paymentRef(sql`c`)}
       WHERE p.provider = 'chain' AND ${where}
       ORDER BY p.id LIMIT ${limit})
     SELECT (SELECT count(*) FROM r)::int AS checked,
            coalesce((SELECT json_agg(json_build_object('id', id::text, 'provider_ref', provider_ref, 'amount_minor', amount_minor, 'order_id', order_id,
                                                        'chain_amount', chain_amount, 'chain_order', chain_order) ORDER BY id) FROM r
                      WHERE chain_amount IS NULL OR chain_amount <> amount_minor OR chain_order IS DISTINCT FROM order_id), '[]'::json) AS suspects`,
  );
  const { checked, suspects } = rows[0]!;
  for (const row of suspects) {
    if (row.chain_amount === null) context.add({ kind: "missing_on_chain", subject: "payment", subjectId: row.id, details: { providerRef: row.provider_ref } });
    else {
      context.add({
        kind: "mismatch",
        subject: "payment",
        subjectId: row.id,
        details: { database: { amount: row.amount_minor, orderId: row.order_id }, chain: { amount: row.chain_amount, orderId: row.chain_order } },
      });
    }
  }
  return { count: checked };
}

/** Final OrderPaid records (alias c) without a payment; names the payments of the others. */
export async function checkChainPayments(context: CheckContext, where: SQL, limit: number): Promise<ChainPageResult> {
  const { rows } = await context.session.query<{ block_number: string; log_index: number; ref: string; order_id: string | null; payment_id: string | null }>(
    sql`SELECT c.block_number::text, c.log_index, ${paymentRef(sql`c`)} AS ref, c.order_id,
            (SELECT p.id::text FROM payments p WHERE p.provider = 'chain' AND p.provider_ref = ${paymentRef(sql`c`)} LIMIT 1) AS payment_id
     FROM chain_payments c WHERE c.chain_id = ${context.chainId} AND c.block_number <= ${context.finalized} AND ${where}
     ORDER BY c.block_number, c.log_index LIMIT ${limit}`,
  );
  const named: bigint[] = [];
  for (const row of rows) {
    if (row.payment_id === null) context.add({ kind: "missing_off_chain", subject: "payment", subjectId: row.ref, details: { orderId: row.order_id } });
    else named.push(BigInt(row.payment_id));
  }
  return { count: rows.length, last: lastPosition(rows), named };
}
