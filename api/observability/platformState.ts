// The platform's backlogs, measured where they are kept: BullMQ's queues in Redis, the chain
// writer's and the ledger hasher's in PostgreSQL, reconciliation's latest findings. Read at
// scrape time by the metrics (platformMetrics.ts) and at probe time by readiness
// (readinessChecks.ts). Each read is one bounded statement or Redis call.
import type { Queue } from "bullmq";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";

/** Seconds since the oldest job still waiting in `queue` was added (0 when none waits). */
export async function oldestWaitingAgeSeconds(queue: Queue, now = Date.now()): Promise<number> {
  // asc = true: the oldest first (BullMQ pushes new jobs at the head of its wait list).
  const [oldest] = await queue.getJobs(["wait"], 0, 0, true);
  return oldest ? Math.max(0, (now - oldest.timestamp) / 1000) : 0;
}

export type ChainWriterBacklog = { issuances: number; batchAnchors: number };

/** Entitlements waiting for their issuance transaction, batches waiting for their anchor. */
export async function readChainWriterBacklog(db: Drizzle): Promise<ChainWriterBacklog> {
  const row = await queryOne<{ issuances: string; batch_anchors: string }>(
    db,
    sql`SELECT (SELECT count(*) FROM entitlements WHERE issue_state IN ('pending', 'submitted')) AS issuances,
               (SELECT count(*) FROM batches WHERE anchor_state IN ('pending', 'submitted')) AS batch_anchors`,
  );
  return { issuances: Number(row?.issuances ?? 0), batchAnchors: Number(row?.batch_anchors ?? 0) };
}

/** Journal transactions committed but not yet in the hash chain (docs/ledger.md, the hasher). */
export async function readLedgerHashChainLag(db: Drizzle): Promise<number> {
  const row = await queryOne<{ lag: string }>(db, sql`SELECT count(*) AS lag FROM ledger_unhashed`);
  return Number(row?.lag ?? 0);
}

/** The latest reconciliation run's findings by kind (empty before the first run). */
export async function readReconciliationFindings(db: Drizzle): Promise<Array<{ kind: string; count: number }>> {
  const rows = await queryRows<{ kind: string; count: string }>(
    db,
    sql`SELECT kind, count(*) AS count FROM reconciliation_findings
        WHERE run_id = (SELECT max(id) FROM reconciliation_runs WHERE finished_at IS NOT NULL) GROUP BY kind`,
  );
  return rows.map((row) => ({ kind: row.kind, count: Number(row.count) }));
}
