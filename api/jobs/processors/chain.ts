// The chain queue: one sender (concurrency 1) for every operator transaction, so nonces stay
// in order. `anchor-batch` commits one batch's root; `sweep` (scheduled) issues pending
// entitlements and records pending redemptions, a transaction of up to ISSUE_BATCH_SIZE_MAX
// each, repeating while work is waiting, bounded per run.
import type { Job } from "bullmq";
import type { AppContext } from "../../context.ts";
import { anchorBatch } from "../../chain/anchorBatch.ts";
import { anchorLedger } from "../../ledger/anchorLedger.ts";
import { issuePending } from "../../chain/issuePending.ts";
import { redeemPending } from "../../chain/redeemPending.ts";
import { recordCustodialTransfers, setPendingRoyalties } from "../../chain/recordCustodialTransfers.ts";
import { revokePending } from "../../chain/revocations.ts";
import { sendWithdrawals } from "../../chain/withdrawals.ts";
import type { BatchTreeCache } from "../../keys/batchTree.ts";
import { queryRows, sql } from "../../store/database.ts";

const sweepTransactionsMax = 20;

export type ChainWorkerState = { treeCache: BatchTreeCache };

export async function processChainJob(ctx: AppContext, state: ChainWorkerState, job: Job): Promise<unknown> {
  const chain = ctx.chain;
  if (!chain?.walletClient) return { skipped: "no chain writer configured" };
  const db = ctx.database.db;
  if (job.name === "anchor-batch") {
    return { outcome: await anchorBatch(db, chain, BigInt((job.data as { batchId: string }).batchId)) };
  }
  if (job.name === "anchor-ledger") {
    if (!chain.addresses.ledgerAnchor) return { skipped: "no LEDGER_ANCHOR_ADDRESS" };
    const result = await anchorLedger({
      db,
      publicClient: chain.publicClient,
      walletClient: chain.walletClient,
      anchorAddress: chain.addresses.ledgerAnchor,
      fromBlock: chain.deploymentBlock,
      entriesMin: ctx.config.ledger.anchorEntriesMin,
    });
    // BullMQ stores return values as JSON, which has no bigint.
    return JSON.parse(JSON.stringify(result, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value)));
  }
  if (job.name !== "sweep") return { ignored: job.name };
  // Batches whose anchor job was lost (or failed for good) are picked up here.
  const unanchored = await queryRows<{ id: bigint }>(
    db,
    sql`SELECT id FROM batches WHERE anchor_state IN ('pending', 'submitted') AND root IS NOT NULL
        AND created_at < now() - interval '5 seconds' ORDER BY id LIMIT 5`,
  );
  for (const batch of unanchored) await anchorBatch(db, chain, BigInt(batch.id));
  let issued = 0;
  let redeemed = 0;
  for (let transaction = 0; transaction < sweepTransactionsMax; transaction++) {
    const result = await issuePending(db, chain, { batchSizeMax: ctx.config.chain.issueBatchSizeMax, treeCache: state.treeCache });
    issued += result.issued;
    if (result.issued === 0) break;
  }
  for (let transaction = 0; transaction < sweepTransactionsMax; transaction++) {
    const count = await redeemPending(db, chain, { batchSizeMax: ctx.config.chain.issueBatchSizeMax });
    redeemed += count;
    if (count === 0) break;
  }
  // Resale (docs/resale.md): royalties before the resale records they price, records before
  // withdrawals (a record needs the token in custody), revocations last.
  const batchSizeMax = ctx.config.chain.issueBatchSizeMax;
  const royalties = await setPendingRoyalties(db, chain, { transactionsMax: sweepTransactionsMax });
  let resales = 0;
  for (let transaction = 0; transaction < sweepTransactionsMax; transaction++) {
    const count = await recordCustodialTransfers(db, chain, { batchSizeMax });
    resales += count;
    if (count === 0) break;
  }
  const withdrawals = await sendWithdrawals(db, chain, { transactionsMax: sweepTransactionsMax });
  let revoked = 0;
  for (let transaction = 0; transaction < sweepTransactionsMax; transaction++) {
    const count = await revokePending(db, chain, { batchSizeMax });
    revoked += count;
    if (count === 0) break;
  }
  return { anchored: unanchored.length, issued, redeemed, royalties, resales, withdrawals, revoked };
}
