import type { Job } from "bullmq";
import type { AppContext } from "../../context.ts";
import { decideOverdueDisputes } from "../../services/disputes/decideDispute.ts";
import { placeProceedsHolds, releaseDueProceedsHolds } from "../../services/disputes/proceedsHolds.ts";
import { settleFeeReceivables } from "../../ledger/merchantFees.ts";
import { postMissingPaymentEntries } from "../../services/orders/paymentEntryOutbox.ts";
import { expireOrders } from "../../services/orders/expireOrders.ts";
import { processChainPayments } from "../../services/orders/processChainPayments.ts";
import { processMandateEvents } from "../../services/subscriptions/walletPulls.ts";
import { updateRecommendations } from "../../services/recommendations/updateRecommendations.ts";
import { enqueuePaidOrder } from "../groupFulfilment.ts";
import { expireDueGroups, expireGroup } from "../../services/groupbuy/expireGroups.ts";
import { requeuePaidOrders } from "../recovery/requeuePaidOrders.ts";
import { requeueStuckImports } from "../recovery/requeueStuckImports.ts";
import type { WorkerSettings } from "../workers.ts";
import { runAmlSweep } from "../../services/compliance/aml.ts";
import { enforceRetentionHourly } from "../../services/compliance/dataRights.ts";

export async function processMaintenance(ctx: AppContext, job: Job, settings: Pick<WorkerSettings, "lostJobGraceSeconds">): Promise<unknown> {
  switch (job.name) {
    case "expire-orders":
      // Groups past their time too: the safety net of each group's delayed job (docs/groupbuy.md).
      return {
        expired: await expireOrders(ctx.database.db),
        groupsExpired: await expireDueGroups(ctx.database.db, feeSettings(ctx), { limit: groupsPerRunMax }),
      };
    case "group-expiry":
    case "expire-groups":
      return runGroupExpiry(ctx, job);
    case "recover-lost-jobs":
      return {
        orders: await requeuePaidOrders(ctx.database.db, ctx.queues, { graceSeconds: settings.lostJobGraceSeconds }),
        imports: await requeueStuckImports(ctx.database.db, ctx.queues, { graceSeconds: settings.lostJobGraceSeconds }),
        ledgerEntries: await postMissingPaymentEntries(ctx.database.db, { platformFeeBps: ctx.config.orders.platformFeeBps }, { limit: 500 }),
        // Fees that accrued after a top-up are drawn from the prepaid balance here.
        feeSettlements: await settleFeeReceivables(ctx.database.db, { limit: 500 }),
        // The AML payment rules over the order payment entries posted since the last run (docs/compliance.md).
        aml: await runAmlSweep(ctx.database.db, ctx.config.compliance.aml),
      };
    case "chain-payments":
      return acceptFinalChainPayments(ctx);
    case "disputes":
      return runDisputesSweep(ctx, job);
    case "recommendations":
      return updateRecommendations(ctx.database.db);
    default:
      return { ignored: job.name };
  }
}

// Payments handled per run at most: bounded so a burst never holds the maintenance queue long;
// the next tick takes the rest.
const chainPaymentsPerRunMax = 200;
const nativeAsset = "0x0000000000000000000000000000000000000000";

// The indexer records PaymentRouter payments (chain_payments); once their blocks are final they
// are accepted here like an EPay notification, and accepted orders go to fulfilment.
async function acceptFinalChainPayments(ctx: AppContext): Promise<unknown> {
  if (!ctx.chain) return { skipped: "no chain" };
  const assets = new Map<string, string>([[nativeAsset, "ETH"]]);
  const { stablecoinAddress, stablecoinCurrency } = ctx.config.chain;
  if (stablecoinAddress) assets.set(stablecoinAddress.toLowerCase(), stablecoinCurrency);
  const payments = await processChainPayments(ctx.database.db, {
    chainId: Number(ctx.chain.chainId),
    assets,
    platformFeeBps: ctx.config.orders.platformFeeBps,
    batchSizeMax: chainPaymentsPerRunMax,
    onAccepted: (orderId) => enqueuePaidOrder(ctx.database.db, ctx.queues, orderId),
  });
  // Subscription mandates (docs/subscriptions.md, "Renewal by wallet pull"): final pulls charge
  // their period in the ledger, final cancellations stop the pulls.
  const mandates = await processMandateEvents(ctx.database.db, {
    chainId: Number(ctx.chain.chainId),
    stablecoinAddress,
    platformFeeBps: ctx.config.orders.platformFeeBps,
    batchSizeMax: chainPaymentsPerRunMax,
  });
  return { ...payments, mandates };
}

// Per run at most; the next tick takes the rest.
const disputeSweepBatchMax = 500;
const groupsPerRunMax = 200;

const feeSettings = (ctx: AppContext) => ({ platformFeeBps: ctx.config.orders.platformFeeBps });

/**
 * A group's delayed expiry job (`group-expiry`, data groupId) or a sweep of every due group
 * (`expire-groups`). Like the disputes sweep, a job may carry `now` (an ISO time) so the suites
 * drive expiry with a controlled clock through the queue.
 */
async function runGroupExpiry(ctx: AppContext, job: Job): Promise<unknown> {
  const now = typeof job.data?.now === "string" ? new Date(job.data.now) : undefined;
  if (now && Number.isNaN(now.getTime())) return { ignored: "now is not a time" };
  if (job.name === "group-expiry") {
    if (typeof job.data?.groupId !== "string") return { ignored: "no groupId" };
    return expireGroup(ctx.database.db, feeSettings(ctx), job.data.groupId, now);
  }
  return { groupsExpired: await expireDueGroups(ctx.database.db, feeSettings(ctx), { now, limit: groupsPerRunMax }) };
}

/**
 * The after-sales sweep (docs/disputes.md): holds the proceeds of new sales, releases the holds
 * whose window closed (unless a dispute freezes them), and decides escalated disputes whose
 * answer deadline passed. A job may carry `now` (an ISO time): the suites drive the sweep with a
 * controlled clock through the queue, as the scheduler's jobs (which carry none) drive it in
 * production with the database's clock.
 */
async function runDisputesSweep(ctx: AppContext, job: Job): Promise<unknown> {
  const db = ctx.database.db;
  const now = typeof job.data?.now === "string" ? new Date(job.data.now) : undefined;
  if (now && Number.isNaN(now.getTime())) return { ignored: "now is not a time" };
  const placed = await placeProceedsHolds(db, { reputation: ctx.config.disputes.reputation, limit: disputeSweepBatchMax });
  const decided = await decideOverdueDisputes(db, { now, limit: disputeSweepBatchMax, settings: { platformFeeBps: ctx.config.orders.platformFeeBps } });
  const released = await releaseDueProceedsHolds(db, { now, limit: disputeSweepBatchMax });
  // Retention periods (docs/compliance.md), at most once an hour whichever worker runs the sweep.
  const retention = await enforceRetentionHourly(db, ctx.config.compliance.retention);
  return { placed, released, decided: decided.map(String), retention };
}
