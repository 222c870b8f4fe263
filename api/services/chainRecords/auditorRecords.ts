// The auditor's read-only view of chain records, each list keyset-paginated in chain order
// (cursor "block:logIndex") with a bounded page size: batches, issuances, transfers,
// redemptions/revocations and payments with their on-chain references and platform state;
// reconciliation findings; the audit log (who, what, when).
import { AppError } from "../../../core/errors.ts";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import type { SQL } from "drizzle-orm";
import { csvField } from "../csv.ts";

export type Page<T> = { items: T[]; nextCursor: string | null };

export type ChainListKind = "batches" | "issuances" | "transfers" | "redemptions" | "payments";

function parseCursor(cursor: string | undefined): { block: string; log: number } {
  if (cursor === undefined) return { block: "-1", log: -1 };
  const match = /^(\d{1,20}):(\d{1,9})$/.exec(cursor);
  if (!match) throw new AppError("validation_failed", "cursor must be the nextCursor of a previous page (block:logIndex).");
  return { block: match[1]!, log: Number(match[2]) };
}

// Per list: the select, from the table aliased x, with the platform row it references.
const listSql: Record<ChainListKind, SQL> = {
  batches: sql`SELECT x.block_number::text, x.log_index, x.transaction_hash, x.batch_id::text, x.shop_id::text, x.root, x.key_count::text, x.issuer,
                 b.anchor_state AS platform_state, encode(b.root, 'hex') AS platform_root
               FROM chain_batch_anchors x LEFT JOIN batches b ON b.id = x.batch_id`,
  issuances: sql`SELECT x.block_number::text, x.log_index, x.transaction_hash, x.batch_id::text, x.first_token_id::text, x.token_count::text, x.leaf_indexes::text[] AS leaf_indexes
               FROM chain_issuances x`,
  transfers: sql`SELECT x.block_number::text, x.log_index, x.transaction_hash, x.token_id::text, x.from_address, x.to_address FROM chain_transfers x`,
  redemptions: sql`SELECT x.block_number::text, x.log_index, x.transaction_hash, x.token_id::text, x.kind, e.id::text AS entitlement_id, e.state AS platform_state
               FROM chain_token_states x LEFT JOIN entitlements e ON e.token_id = x.token_id`,
  payments: sql`SELECT x.block_number::text, x.log_index, x.transaction_hash, x.order_ref, x.order_id, x.payer, x.token, x.amount::text, p.status AS platform_status
               FROM chain_payments x LEFT JOIN payments p ON p.provider = 'chain' AND p.provider_ref = x.chain_id || ':' || x.transaction_hash || ':' || x.log_index`,
};

export async function listChainRecords(
  db: Drizzle,
  query: { chainId: number; kind: ChainListKind; cursor?: string; limit: number },
): Promise<Page<Record<string, unknown>>> {
  const { block, log } = parseCursor(query.cursor);
  const rows = await queryRows<Record<string, unknown> & { block_number: string; log_index: number }>(
    db,
    sql`${listSql[query.kind]} WHERE x.chain_id = ${query.chainId} AND (x.block_number, x.log_index) > (${block}::bigint, ${log})
        ORDER BY x.block_number, x.log_index LIMIT ${query.limit + 1}`,
  );
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit && last ? `${last.block_number}:${last.log_index}` : null };
}

export type FindingRow = { id: string; runId: string; kind: string; subject: string; subjectId: string; details: unknown; createdAt: string };

/** Findings of one run (the latest finished one when runId is absent: a run in progress has written none yet), by id. */
export async function listFindings(
  db: Drizzle,
  query: { chainId: number; runId?: bigint; cursor?: string; limit: number },
): Promise<Page<FindingRow> & { run: Record<string, unknown> | null }> {
  const [run] = await queryRows<Record<string, unknown> & { id: string }>(
    db,
    query.runId === undefined
      ? sql`SELECT id::text, finalized_number::text, started_at, finished_at, checked FROM reconciliation_runs WHERE chain_id = ${query.chainId} AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`
      : sql`SELECT id::text, finalized_number::text, started_at, finished_at, checked FROM reconciliation_runs WHERE chain_id = ${query.chainId} AND id = ${query.runId}`,
  );
  // The latest run may not exist yet (an empty report); a run asked for by id must.
  if (!run && query.runId !== undefined) throw new AppError("not_found", `No reconciliation run ${query.runId} on this chain.`);
  if (!run) return { run: null, items: [], nextCursor: null };
  if (query.cursor !== undefined && !/^\d{1,19}$/.test(query.cursor))
    throw new AppError("validation_failed", "cursor must be the nextCursor of a previous page.");
  const rows = await queryRows<{ id: string; kind: string; subject: string; subject_id: string; details: unknown; created_at: Date }>(
    db,
    sql`SELECT id::text, kind, subject, subject_id, details, created_at FROM reconciliation_findings
        WHERE run_id = ${run.id}::bigint AND id > ${query.cursor ?? "0"}::bigint ORDER BY id LIMIT ${query.limit + 1}`,
  );
  const items = rows.slice(0, query.limit).map((row) => ({
    id: row.id,
    runId: run.id,
    kind: row.kind,
    subject: row.subject,
    subjectId: row.subject_id,
    details: row.details,
    createdAt: new Date(row.created_at).toISOString(),
  }));
  return { run, items, nextCursor: rows.length > query.limit ? items[items.length - 1]!.id : null };
}

// The header is written bare (as it always was); fields follow the one CSV rule of ../csv.ts,
// so an absent subject id is an empty field rather than the text "null".
export function findingsCsv(findings: FindingRow[]): string {
  const header = ["id", "run_id", "kind", "subject", "subject_id", "details", "created_at"].join(",");
  return `${[
    header,
    ...findings.map((row) => [row.id, row.runId, row.kind, row.subject, row.subjectId, row.details, row.createdAt].map(csvField).join(",")),
  ].join("\r\n")}\r\n`;
}

export async function listAuditLog(db: Drizzle, query: { cursor?: string; limit: number }): Promise<Page<Record<string, unknown>>> {
  if (query.cursor !== undefined && !/^\d{1,19}$/.test(query.cursor))
    throw new AppError("validation_failed", "cursor must be the nextCursor of a previous page.");
  const rows = await queryRows<{
    id: string;
    account_id: string | null;
    email: string | null;
    action: string;
    subject: string | null;
    details: unknown;
    created_at: Date;
  }>(
    db,
    sql`SELECT l.id::text, l.account_id::text, a.email, l.action, l.subject, l.details, l.created_at
        FROM audit_log l LEFT JOIN accounts a ON a.id = l.account_id
        WHERE ${query.cursor === undefined ? sql`true` : sql`l.id < ${query.cursor}::bigint`}
        ORDER BY l.id DESC LIMIT ${query.limit + 1}`,
  );
  const items = rows.slice(0, query.limit).map((row) => ({
    id: row.id,
    who: { accountId: row.account_id, email: row.email },
    what: { action: row.action, subject: row.subject, details: row.details },
    when: new Date(row.created_at).toISOString(),
  }));
  return { items, nextCursor: rows.length > query.limit ? items[items.length - 1]!.id : null };
}
