// The three sections of a reconciliation run (reconcile.ts): what changed since the previous
// run, the previous run's findings again, and one slice of the full pass.
import { sql, type SQL } from "../store/sql.ts";
import { checkAnchors, checkChainPayments, checkTokenIds, checkTokens, lockedTokens, type ChainPageResult } from "./checkRecords.ts";
import type { RunContext, Tally } from "./reconcile.ts";
import { setImmediate as nextTurnOfEventLoop } from "node:timers/promises";
import { walkBlocks, walkList, type BlockSelection } from "./walk.ts";

/** Highest ids when a run started: rows above them are new to the next run. */
export type Newest = { entitlement: string; batch: string; payment: string };
/** Where the full pass goes on: the last id (or final block) each table's walk has covered. */
export type FullPassCursors = { round: number; entitlement: string; batch: string; payment: string; block: string };
/** What a run leaves the next one (reconciliation_runs.progress); decimal strings, as JSON has no bigint. */
export type Progress = { newest: Newest; fullPass: FullPassCursors };

type PreviousRun = { finalized: bigint; started_at: Date; progress: Progress };

/** Rows written, chain records made final and reveals made overdue since the previous run. */
export async function checkChanged(context: RunContext, runs: { previous: PreviousRun; newest: Newest }, tally: Tally): Promise<void> {
  const { previous, newest } = runs;
  const since = previous.progress.newest;
  await context.checkEntitlements({ afterId: BigInt(since.entitlement), upToId: BigInt(newest.entitlement) }, tally);
  await context.checkBatchIds({ afterId: BigInt(since.batch), upToId: BigInt(newest.batch) }, tally);
  await context.checkPaymentIds({ afterId: BigInt(since.payment), upToId: BigInt(newest.payment) }, tally);
  const blocks: BlockSelection = { afterBlock: previous.finalized, upToBlock: context.finalized };
  const named = await checkChainRecords(context, blocks, tally, { locks: true });
  // Rows above the watermarks were checked just above.
  const older = (ids: bigint[], watermark: string) => ids.filter((id) => id <= BigInt(watermark));
  await context.checkEntitlements({ ids: older(named.entitlements, since.entitlement) }, tally);
  await context.checkBatchIds({ ids: older(named.batches, since.batch) }, tally);
  await context.checkPaymentIds({ ids: older(named.payments, since.payment) }, tally);
  // A reveal becomes a finding redemptionGraceSeconds after it if its Locked never became final:
  // the reveals since (previous start - grace) include every one that became overdue since.
  const overdueSince = new Date(new Date(previous.started_at).getTime() - context.redemptionGraceSeconds * 1000);
  await context.checkEntitlements({ ids: await revealedSince(context, overdueSince) }, tally);
}

/** Entitlements revealed after `since`, through entitlements_revealed_at_idx (reveals of one run's window). */
async function revealedSince(context: RunContext, since: Date): Promise<bigint[]> {
  const ids: bigint[] = [];
  let after = sql`e.revealed_at > ${since.toISOString()}::timestamptz`;
  for (;;) {
    const { rows } = await context.session.query<{ id: string; revealed_at: string }>(
      sql`SELECT e.id::text, e.revealed_at::text FROM entitlements e WHERE e.revealed_at IS NOT NULL AND ${after}
          ORDER BY e.revealed_at, e.id LIMIT ${context.pageSize}`,
    );
    ids.push(...rows.map((row) => BigInt(row.id)));
    if (rows.length < context.pageSize) return ids;
    await nextTurnOfEventLoop();
    const last = rows[rows.length - 1]!;
    after = sql`(e.revealed_at, e.id) > (${last.revealed_at}::timestamptz, ${last.id}::bigint)`;
  }
}

/**
 * Final chain records in `blocks`: orphans are findings; the rows the others name are returned,
 * each once, to be checked by the caller (or not, in the full pass, whose own slice covers rows).
 */
async function checkChainRecords(
  context: RunContext,
  blocks: BlockSelection,
  tally: Tally,
  options: { locks: boolean },
): Promise<{ entitlements: bigint[]; batches: bigint[]; payments: bigint[] }> {
  const entitlements = new Set<bigint>();
  const batches = new Set<bigint>();
  const payments = new Set<bigint>();
  const collect = (into: Set<bigint>, page: (where: SQL, limit: number) => Promise<ChainPageResult>) => async (where: SQL, limit: number) => {
    const result = await page(where, limit);
    for (const id of result.named) into.add(id);
    return result;
  };
  // Issuances carry up to ISSUE_BATCH_SIZE_MAX (100) tokens each, and each token is one index
  // probe: pages of two issuances (a 25th of the page size), about 200 probes a statement. Five
  // a page (500 probes) were the longest statements of a run on PGlite, 14 ms on average and up
  // to 70 ms on a loaded machine, all on the API's thread.
  const issuancesPerPage = Math.max(1, Math.floor(context.pageSize / 25));
  tally.anchors += await walkBlocks(
    blocks,
    sql`a`,
    context.pageSize,
    collect(batches, (where, limit) => checkAnchors(context, where, limit)),
  );
  tally.tokens += await walkBlocks(
    blocks,
    sql`i`,
    issuancesPerPage,
    collect(entitlements, (where, limit) => checkTokens(context, where, limit)),
  );
  // A lock is only compared with its entitlement's state: new locks name entitlements to check.
  if (options.locks)
    tally.locks += await walkBlocks(
      blocks,
      sql`s`,
      context.pageSize,
      collect(entitlements, (where, limit) => lockedTokens(context, where, limit)),
    );
  tally.chainPayments += await walkBlocks(
    blocks,
    sql`c`,
    context.pageSize,
    collect(payments, (where, limit) => checkChainPayments(context, where, limit)),
  );
  return { entitlements: [...entitlements], batches: [...batches], payments: [...payments] };
}

/** The previous run's findings, each checked again (a page of findings at a time). */
export async function recheckFindings(context: RunContext, previousRunId: bigint, tally: Tally): Promise<void> {
  let afterId = 0n;
  for (;;) {
    const { rows } = await context.session.query<{ id: string; kind: string; subject: string; subject_id: string }>(
      sql`SELECT id::text, kind, subject, subject_id FROM reconciliation_findings WHERE run_id = ${previousRunId} AND id > ${afterId}
          ORDER BY id LIMIT ${context.pageSize}`,
    );
    if (rows.length === 0) return;
    afterId = BigInt(rows[rows.length - 1]!.id);
    const ids = (subject: string, offChain: boolean) =>
      rows
        .filter((row) => row.subject === subject && (row.kind === "missing_off_chain") === offChain && /^\d{1,19}$/.test(row.subject_id))
        .map((row) => row.subject_id);
    const entitlementIds = [...ids("issuance", false), ...ids("redemption", false)].map(BigInt);
    const keyIds = ids("key", false);
    if (keyIds.length > 0) {
      const { rows: byKey } = await context.session.query<{ id: string }>(
        sql`SELECT id::text FROM entitlements WHERE key_id = ANY(${sql.param(keyIds)}::bigint[])`,
      );
      entitlementIds.push(...byKey.map((row) => BigInt(row.id)));
    }
    await context.checkEntitlements({ ids: entitlementIds }, tally);
    await context.checkBatchIds({ ids: ids("batch", false).map(BigInt) }, tally);
    await context.checkPaymentIds({ ids: ids("payment", false).map(BigInt) }, tally);
    const orphanBatches = ids("batch", true);
    if (orphanBatches.length > 0)
      tally.anchors += (await checkAnchors(context, sql`a.batch_id = ANY(${sql.param(orphanBatches)}::numeric[])`, context.pageSize)).count;
    tally.tokens += await walkList(ids("issuance", true), context.pageSize, (tokenIds) => checkTokenIds(context, tokenIds));
    const refs = rows.filter((row) => row.subject === "payment" && row.kind === "missing_off_chain").map((row) => row.subject_id);
    if (refs.length > 0) {
      const hashes = refs.map((ref) => ref.split(":")[1] ?? "");
      tally.chainPayments += (
        await checkChainPayments(
          context,
          sql`c.transaction_hash = ANY(${sql.param(hashes)}::text[]) AND (c.chain_id || ':' || c.transaction_hash || ':' || c.log_index) = ANY(${sql.param(refs)}::text[])`,
          context.pageSize,
        )
      ).count;
    }
  }
}

export type FullPassPlan = { cursors?: FullPassCursors; newest: Newest; runs: number; idsMin: number; idsMax: number; blocksMin: number };

/** One slice of the full pass: 1/runs of each table's ids (within idsMin..idsMax) and of the final blocks (at least blocksMin). */
export async function checkFullPassSlice(context: RunContext, plan: FullPassPlan, tally: Tally): Promise<FullPassCursors> {
  const cursors = plan.cursors ?? { round: 0, entitlement: "0", batch: "0", payment: "0", block: "-1" };
  const slice = (cursor: string, newestId: string) => {
    const top = BigInt(newestId);
    const span = BigInt(Math.min(plan.idsMax, Math.max(plan.idsMin, Math.ceil(Number(top) / plan.runs))));
    const after = BigInt(cursor) >= top ? 0n : BigInt(cursor);
    const upTo = after + span >= top ? top : after + span;
    return { selection: { afterId: after, upToId: upTo }, next: upTo >= top ? "0" : String(upTo), wrapped: upTo >= top };
  };
  const entitlements = slice(cursors.entitlement, plan.newest.entitlement);
  const batches = slice(cursors.batch, plan.newest.batch);
  const payments = slice(cursors.payment, plan.newest.payment);
  await context.checkEntitlements(entitlements.selection, tally);
  await context.checkBatchIds(batches.selection, tally);
  await context.checkPaymentIds(payments.selection, tally);
  // Chain records by final block, from the block after the cursor.
  const blockSpan = BigInt(Math.max(plan.blocksMin, Math.ceil(Number(context.finalized + 1n) / plan.runs)));
  const afterBlock = BigInt(cursors.block) >= context.finalized ? -1n : BigInt(cursors.block);
  const upToBlock = afterBlock + blockSpan >= context.finalized ? context.finalized : afterBlock + blockSpan;
  await checkChainRecords(context, { afterBlock, upToBlock }, tally, { locks: false });
  return {
    round: cursors.round + (entitlements.wrapped ? 1 : 0),
    entitlement: entitlements.next,
    batch: batches.next,
    payment: payments.next,
    block: upToBlock >= context.finalized ? "-1" : String(upToBlock),
  };
}
