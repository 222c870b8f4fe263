import type { Job } from "bullmq";
import type { AppContext } from "../../context.ts";
import { settleFeeReceivables } from "../../ledger/merchantFees.ts";
import { postMissingPaymentEntries } from "../../services/orders/paymentEntryOutbox.ts";
import { expireOrders } from "../../services/orders/expireOrders.ts";
import { processChainPayments } from "../../services/orders/processChainPayments.ts";
import { queryRows, sql } from "../../../core/store/database.ts";
import { enqueueFulfilment, enqueueImport, importJobId } from "../enqueue.ts";
import type { WorkerSettings } from "../workers.ts";

export async function processMaintenance(ctx: AppContext, job: Job, settings: Pick<WorkerSettings, "lostJobGraceSeconds">): Promise<unknown> {
  switch (job.name) {
    case "expire-orders":
      return { expired: await expireOrders(ctx.database.db) };
    case "recover-lost-jobs":
      return {
        orders: await requeuePaidOrders(ctx, settings.lostJobGraceSeconds),
        imports: await requeueStuckImports(ctx),
        ledgerEntries: await postMissingPaymentEntries(ctx.database.db, { platformFeeBps: ctx.config.orders.platformFeeBps }, { limit: 500 }),
        // Fees that accrued after a top-up are drawn from the prepaid balance here.
        feeSettlements: await settleFeeReceivables(ctx.database.db, { limit: 500 }),
      };
    case "chain-payments":
      return acceptFinalChainPayments(ctx);
    default:
      return { ignored: job.name };
  }
}

// A paid order whose fulfilment job was lost (Redis down between the payment's commit and
// the enqueue, a notification that gave up waiting for the queue, a Redis that came back empty)
// is found here and enqueued again; fulfilment is idempotent. Paid orders are the fulfilment's
// outbox: nothing else needs to remember them.
async function requeuePaidOrders(ctx: AppContext, graceSeconds: number): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    ctx.database.db,
    sql`SELECT o.id FROM orders o JOIN products p ON p.id = o.product_id
        WHERE o.state = 'paid' AND p.delivery_mode = 'automatic' AND o.paid_at < now() - make_interval(secs => ${graceSeconds})
        ORDER BY o.paid_at LIMIT 500`,
  );
  for (const row of rows) await enqueueFulfilment(ctx.queues, row.id);
  return rows.length;
}

// An import whose job was lost, or whose job used up its attempts (a crash loop), stays
// queued or running; its job is retried or enqueued again. runImport restarts it cleanly.
async function requeueStuckImports(ctx: AppContext): Promise<number> {
  const rows = await queryRows<{ id: bigint }>(
    ctx.database.db,
    sql`SELECT id FROM imports WHERE status IN ('queued', 'running') AND created_at < now() - interval '2 minutes' ORDER BY id LIMIT 50`,
  );
  for (const row of rows) {
    const job = await ctx.queues.imports.getJob(importJobId(BigInt(row.id)));
    if (!job) await enqueueImport(ctx.queues, BigInt(row.id));
    else if (await job.isFailed()) await job.retry();
  }
  return rows.length;
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
  return processChainPayments(ctx.database.db, {
    chainId: Number(ctx.chain.chainId),
    assets,
    platformFeeBps: ctx.config.orders.platformFeeBps,
    batchSizeMax: chainPaymentsPerRunMax,
    onAccepted: (orderId) => enqueueFulfilment(ctx.queues, orderId),
  });
}
