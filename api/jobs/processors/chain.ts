// The chain queue: one sender (concurrency 1) for every operator transaction, so nonces stay
// in order. `anchor-batch` commits one batch's root; `sweep` (scheduled) issues pending
// entitlements and records pending redemptions, a transaction of up to ISSUE_BATCH_SIZE_MAX
// each, repeating while the last one was full, bounded per run.
import { enablePendingRentals, setPendingRentalUsers } from "../../chain/rentals.ts";
import type { Job } from "bullmq";
import type { AppContext } from "../../context.ts";
import { bigintReplacer } from "../../../core/json.ts";
import { anchorBatch } from "../../chain/anchorBatch.ts";
import { anchorLedger } from "../../ledger/anchorLedger.ts";
import { issuePending } from "../../chain/issuePending.ts";
import { redeemPending } from "../../chain/redeemPending.ts";
import { recordCustodialTransfers, setPendingRoyalties } from "../../chain/recordCustodialTransfers.ts";
import { revokePending } from "../../chain/revocations.ts";
import { sendWithdrawals } from "../../chain/withdrawals.ts";
import type { BatchTreeCache } from "../../keys/batchTree.ts";
import { queryRows, sql } from "../../../core/store/database.ts";
import { sendPendingSubscriptionExpiries } from "../../chain/subscriptions.ts";
import { sendPendingSubscriptionPulls } from "../../chain/subscriptionPulls.ts";
import type { Mailer } from "../../services/mail/mailer.ts";
import { rentalNow } from "../../services/rentals/rentalClock.ts";
import { sweepSubscriptions } from "../../services/subscriptions/sweepSubscriptions.ts";

const sweepTransactionsMax = 20;

export type ChainWorkerState = { treeCache: BatchTreeCache; mailer?: Mailer };

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
    return JSON.parse(JSON.stringify(result, bigintReplacer));
  }
  if (job.name !== "sweep") return { ignored: job.name };
  // Batches whose anchor job was lost (or failed for good) are picked up here.
  const unanchored = await queryRows<{ id: bigint }>(
    db,
    sql`SELECT id FROM batches WHERE anchor_state IN ('pending', 'submitted') AND root IS NOT NULL
        AND created_at < now() - interval '5 seconds' ORDER BY id LIMIT 5`,
  );
  for (const batch of unanchored) await anchorBatch(db, chain, BigInt(batch.id));
  // Each loop goes on only while its last transaction was full: sales keep arriving, and on a
  // chain that mines at once a loop that ran until nothing was waiting sent a transaction per
  // handful of entitlements (measured: 20 per issuance instead of up to 100, each costing the
  // node an execution and the worker a proof and a signature). What a partial transaction left
  // waits for the next sweep, ISSUE_BATCH_WAIT_MS later.
  const batchSizeMax = ctx.config.chain.issueBatchSizeMax;
  let issued = 0;
  const drainedBatches: bigint[] = [];
  for (let transaction = 0; transaction < sweepTransactionsMax; transaction++) {
    const result = await issuePending(db, chain, { batchSizeMax, treeCache: state.treeCache, skipBatchIds: drainedBatches });
    issued += result.issued;
    if (result.issued === 0) break;
    // A partial issuance emptied its batch's queue; other batches may still be waiting.
    if (result.issued < batchSizeMax) drainedBatches.push(result.batchId!);
  }
  const redeemed = await whileFull(batchSizeMax, () => redeemPending(db, chain, { batchSizeMax }));
  // Resale (docs/resale.md): royalties before the resale records they price, records before
  // withdrawals (a record needs the token in custody), revocations last.
  const royalties = await setPendingRoyalties(db, chain, { transactionsMax: sweepTransactionsMax });
  const resales = await whileFull(batchSizeMax, () => recordCustodialTransfers(db, chain, { batchSizeMax }));
  // Rentals (docs/rentals.md): tokens made rentable before the users of their rentals are set.
  const rentalsEnabled = await whileFull(batchSizeMax, () => enablePendingRentals(db, chain, { batchSizeMax }));
  const rentalUsers = await setPendingRentalUsers(db, chain, { transactionsMax: sweepTransactionsMax });
  // Subscriptions (docs/subscriptions.md): start, renew, expire and remind on the chain's clock,
  // then send each charged period's expiry.
  const subscriptions = await sweepSubscriptions(db, await rentalNow(chain), {
    platformFeeBps: ctx.config.orders.platformFeeBps,
    mailer: state.mailer,
    publicUrl: ctx.config.http.publicUrl,
    logger: ctx.logger,
  });
  // Wallet buyers' renewals queued by the sweep are pulled from their allowance here (one sender).
  const subscriptionPulls = await sendPendingSubscriptionPulls(db, chain, { transactionsMax: sweepTransactionsMax });
  const subscriptionExpiries = await sendPendingSubscriptionExpiries(db, chain, { transactionsMax: sweepTransactionsMax });
  const withdrawals = await sendWithdrawals(db, chain, { transactionsMax: sweepTransactionsMax });
  const revoked = await whileFull(batchSizeMax, () => revokePending(db, chain, { batchSizeMax }));
  return {
    anchored: unanchored.length,
    issued,
    redeemed,
    royalties,
    resales,
    rentalsEnabled,
    rentalUsers,
    subscriptions,
    subscriptionPulls,
    subscriptionExpiries,
    withdrawals,
    revoked,
  };
}

/** Runs `send` (one transaction of up to batchSizeMax items) again while it comes back full. */
async function whileFull(batchSizeMax: number, send: () => Promise<number>): Promise<number> {
  let total = 0;
  for (let transaction = 0; transaction < sweepTransactionsMax; transaction++) {
    const count = await send();
    total += count;
    if (count < batchSizeMax) break;
  }
  return total;
}
