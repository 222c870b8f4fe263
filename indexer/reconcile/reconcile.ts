// Reconciliation: after finality, batches, issuances, payments and redemptions in the database
// are compared with their on-chain events, and final on-chain events with their database rows.
// Sold keys are checked cryptographically: the key row's leaf (recomputed from its stored
// values) must verify with its stored proof against the root anchored on-chain, so a key row or
// a batch root changed directly in the database is found. Findings are stored per run
// (reconciliation_runs / reconciliation_findings) and read by the auditor's report.
//
// Incremental (docs/indexer.md, "Reconciliation"): a run checks
//   - what changed since the previous run: rows with ids above the previous run's watermarks,
//     chain records final since its final block (and the rows they name), reveals that became
//     overdue since it started;
//   - the previous run's findings again, so an open finding stays in the latest report until
//     it is resolved;
//   - one slice of a full pass spread over runs: a cursor per table walks 1/fullPassRuns of
//     its ids (at most fullPassIdsMax) or final blocks, so the whole history is checked again
//     every fullPassRuns runs, and a row changed in place behind the platform's back is found.
// Everything is read in keyset pages with the event loop given back between pages (walk.ts).
import { performance } from "node:perf_hooks";
import type { Hex } from "viem";
import type { SqlSession } from "../store/session.ts";
import { sql } from "../store/sql.ts";
import { checkIssuedKeys, issuedPageSize } from "./checkIssuedKeys.ts";
import { checkBatches, checkPayments, checkRedemptions, type CheckContext } from "./checkRecords.ts";
import { checkChanged, checkFullPassSlice, recheckFindings, type Progress } from "./runSections.ts";
import { walkIds, walkList, type IdSelection } from "./walk.ts";

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
  /** The full pass checks the whole history again every this many runs (12: an hour at the default interval). */
  fullPassRuns?: number;
  /** Ids of a table one run's slice covers at least (a small history is checked whole every run) ... */
  fullPassIdsMin?: number;
  /** ... and at most: beyond fullPassRuns × this many rows, a full pass takes more runs. */
  fullPassIdsMax?: number;
  /** Final blocks one run's slice of the chain records covers at least. */
  fullPassBlocksMin?: number;
  /** Rows per page (per SQL statement, and per stretch of hashing between turns of the event loop). */
  pageSize?: number;
};

/** Rows each part checked, per section of the run. */
export type Tally = Record<"batches" | "anchors" | "issuances" | "redemptions" | "tokens" | "locks" | "payments" | "chainPayments", number>;
export type Checked = { changed: Tally; reopened: Tally; fullPass: Tally };

export type ReconcileReturnType = { runId: bigint; findings: Finding[]; checked: Checked; durationMs: number; progress: Progress };

export const fullPassDefaults = { runs: 12, idsMin: 1_000, idsMax: 20_000, blocksMin: 100 } as const;

// Findings are written in statements of at most this many rows (one statement blocks PGlite's thread).
const findingsPerInsert = 500;

export type RunContext = CheckContext & {
  pageSize: number;
  registryAddress: Hex;
  /** Checks issuances, sold keys and redemptions of the selected entitlements. */
  checkEntitlements(selection: IdSelection, tally: Tally): Promise<void>;
  checkBatchIds(selection: IdSelection, tally: Tally): Promise<void>;
  checkPaymentIds(selection: IdSelection, tally: Tally): Promise<void>;
};

export const emptyTally = (): Tally => ({ batches: 0, anchors: 0, issuances: 0, redemptions: 0, tokens: 0, locks: 0, payments: 0, chainPayments: 0 });

export async function reconcile(session: SqlSession, parameters: ReconcileParameters): Promise<ReconcileReturnType> {
  const startedAt = performance.now();
  const { chainId } = parameters;
  const { rows: checkpointRows } = await session.query<{ finalized_number: bigint }>(
    sql`SELECT finalized_number FROM indexer_checkpoints WHERE chain_id = ${chainId}`,
  );
  const finalized = BigInt(checkpointRows[0]?.finalized_number ?? -1n);
  const { rows: previousRows } = await session.query<{ id: string; finalized_number: string; started_at: Date; progress: Progress }>(
    sql`SELECT id::text, finalized_number::text, started_at, progress FROM reconciliation_runs
        WHERE chain_id = ${chainId} AND finished_at IS NOT NULL AND progress IS NOT NULL ORDER BY id DESC LIMIT 1`,
  );
  const { rows: newestRows } = await session.query<{ entitlement: string; batch: string; payment: string }>(
    sql`SELECT coalesce((SELECT max(id) FROM entitlements), 0)::text AS entitlement, coalesce((SELECT max(id) FROM batches), 0)::text AS batch,
               coalesce((SELECT max(id) FROM payments), 0)::text AS payment`,
  );
  const newest = newestRows[0]!;
  const { rows: runRows } = await session.query<{ id: string }>(
    sql`INSERT INTO reconciliation_runs (chain_id, finalized_number) VALUES (${chainId}, ${finalized}) RETURNING id::text`,
  );
  const runId = BigInt(runRows[0]!.id);

  const found = new Map<string, Finding>();
  const pageSize = parameters.pageSize ?? issuedPageSize;
  const context: RunContext = {
    session,
    chainId,
    finalized,
    registryAddress: parameters.registryAddress,
    redemptionGraceSeconds: parameters.redemptionGraceSeconds,
    pageSize,
    // A subject found by two sections of the run (a new row that is also in the slice) is one finding.
    add: (finding) => found.set(`${finding.kind}|${finding.subject}|${finding.subjectId}`, finding),
    async checkEntitlements(selection, tally) {
      tally.issuances += await checkIssuedKeys(session, { chainId, registryAddress: parameters.registryAddress, finalized }, context.add, pageSize, selection);
      tally.redemptions += await walkIds(selection, sql`e.id`, pageSize, (where, limit) => checkRedemptions(context, where, limit));
    },
    async checkBatchIds(selection, tally) {
      tally.batches += await walkIds(selection, sql`b.id`, pageSize, (where, limit) => checkBatches(context, where, limit));
    },
    async checkPaymentIds(selection, tally) {
      tally.payments += await walkIds(selection, sql`p.id`, pageSize, (where, limit) => checkPayments(context, where, limit));
    },
  };
  const checked: Checked = { changed: emptyTally(), reopened: emptyTally(), fullPass: emptyTally() };
  const previous = previousRows[0];
  if (previous) {
    await checkChanged(context, { previous: { ...previous, finalized: BigInt(previous.finalized_number) }, newest }, checked.changed);
    await recheckFindings(context, BigInt(previous.id), checked.reopened);
  }
  const fullPass = await checkFullPassSlice(
    context,
    {
      cursors: previous?.progress.fullPass,
      newest,
      runs: parameters.fullPassRuns ?? fullPassDefaults.runs,
      idsMin: parameters.fullPassIdsMin ?? fullPassDefaults.idsMin,
      idsMax: parameters.fullPassIdsMax ?? fullPassDefaults.idsMax,
      blocksMin: parameters.fullPassBlocksMin ?? fullPassDefaults.blocksMin,
    },
    checked.fullPass,
  );
  const progress: Progress = { newest, fullPass };

  const findings = [...found.values()];
  await walkList(findings, findingsPerInsert, async (page) => {
    await session.query(
      sql`INSERT INTO reconciliation_findings (run_id, kind, subject, subject_id, details)
       SELECT ${runId}, * FROM unnest(${sql.param(page.map((f) => f.kind))}::text[], ${sql.param(page.map((f) => f.subject))}::text[],
                                      ${sql.param(page.map((f) => f.subjectId))}::text[], ${sql.param(page.map((f) => JSON.stringify(f.details)))}::jsonb[])`,
    );
    return { count: page.length };
  });
  const durationMs = Math.round(performance.now() - startedAt);
  await session.query(
    sql`UPDATE reconciliation_runs SET finished_at = now(), duration_ms = ${durationMs}, checked = ${JSON.stringify(checked)}, progress = ${JSON.stringify(progress)}
        WHERE id = ${runId}`,
  );
  return { runId, findings, checked, durationMs, progress };
}
