// The cross-instance purchase job (docs/docking.md, "Across instances"): a run of
// runCrossdockPurchase; while the upstream is not ready it throws and BullMQ retries it with
// backoff, and its last attempt refunds the order instead of waiting longer.
import type { Job } from "bullmq";
import type { AppContext } from "../../context.ts";
import { crossdockPurchaseDefaults, runCrossdockPurchase } from "../../services/crossdock/purchase.ts";

export async function processCrossdockPurchase(ctx: AppContext, job: Job): Promise<string> {
  const orderId = String((job.data as { orderId: string }).orderId);
  if (!ctx.chain) throw new Error("No chain is configured: a remote supplier's keys cannot be verified before delivery.");
  const finalRun = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  const outcome = await runCrossdockPurchase(
    {
      db: ctx.database.db,
      keyRing: ctx.keyRing,
      allowLoopback: ctx.config.webhooks.allowLoopback,
      chain: ctx.chain.publicClient,
      platformFeeBps: ctx.config.orders.platformFeeBps,
      ...crossdockPurchaseDefaults,
    },
    orderId,
    finalRun,
  );
  if (outcome === "delivered" || outcome === "refunded") await ctx.orderEvents.publish(orderId);
  return outcome;
}
