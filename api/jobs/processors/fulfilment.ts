import type { Job } from "bullmq";
import type { AppContext } from "../../context.ts";
import { sealOrderKeysOrWarn, type BuyerSealBatcher } from "../../keys/buyerSeal.ts";
import { sendDeliveryMail, type Mailer } from "../../services/mail/mailer.ts";
import { fulfilOrder, type FulfilmentBatcher } from "../../services/orders/fulfilOrder.ts";
import { issueOrderAccessToken } from "../../services/orders/orderAccess.ts";
import { queryOne, sql } from "../../../core/store/database.ts";
import { enqueueCrossdockPurchase } from "../enqueue.ts";

/** The worker's group commits: fulfilments, and the re-sealing of what they delivered. */
export type FulfilmentBatchers = { fulfilments?: FulfilmentBatcher; seals?: BuyerSealBatcher };

export async function processFulfilment(ctx: AppContext, mailer: Mailer | undefined, batchers: FulfilmentBatchers, job: Job): Promise<string> {
  const orderId = String((job.data as { orderId: string }).orderId);
  const outcome = await fulfilOrder(ctx.database.db, orderId, { platformFeeBps: ctx.config.orders.platformFeeBps }, batchers.fulfilments);
  // The delivered codes go under the buyer's own data key (api/keys/buyerSeal.ts), before the
  // order page is woken; a redelivered job re-seals what a crash left under the shop's key.
  if (outcome === "fulfilled" || outcome === "already_done") await sealForBuyer(ctx, batchers.seals, orderId);
  // A remote listing is a manual product that the cross-instance purchase delivers (docs/docking.md).
  if (outcome === "manual_queue" && (await isRemoteListingOrder(ctx, orderId))) await enqueueCrossdockPurchase(ctx.queues, orderId);
  // Wakes the order pages waiting for this order (a lost message only means they time out).
  if (outcome !== "already_done" && outcome !== "not_paid") await ctx.orderEvents.publish(orderId);
  // From the hand-over of the paid order (the job's creation) to its keys delivered.
  if (outcome === "fulfilled") ctx.observability.metrics.fulfilmentLatency.observe(Math.max(0, Date.now() - job.timestamp) / 1000);
  // Only the run that fulfilled the order mails, so a redelivered job never mails twice.
  if (outcome === "fulfilled" && mailer) await mailDelivery(ctx, mailer, orderId);
  return outcome;
}

async function sealForBuyer(ctx: AppContext, seals: BuyerSealBatcher | undefined, orderId: string): Promise<void> {
  // The batch's answer, or (its statement failed, or the order repeated one in it) the order's own
  // transaction, which logs a failure instead of failing the delivered order's job.
  const sealed = await seals?.submit(orderId).catch(() => undefined);
  if (sealed === undefined) await sealOrderKeysOrWarn(ctx.database.db, ctx.keyRing, ctx.logger, orderId);
}

async function mailDelivery(ctx: AppContext, mailer: Mailer, orderId: string): Promise<void> {
  const row = await queryOne<{ contact: string | null; email: string | null; name: string; quantity: number; access_generation: number }>(
    ctx.database.db,
    sql`SELECT o.contact, a.email, p.name, o.quantity, o.access_generation FROM orders o JOIN products p ON p.id = o.product_id
        LEFT JOIN accounts a ON a.id = o.buyer_account_id WHERE o.id = ${orderId}`,
  );
  const to = row?.contact ?? row?.email;
  if (!row || !to) return;
  const base = ctx.config.http.publicUrl;
  const token = issueOrderAccessToken(
    ctx.config.secrets.queryPasswordPepper!,
    { id: orderId, accessGeneration: row.access_generation },
    ctx.config.orders.accessTokenTtlSeconds,
  );
  try {
    await sendDeliveryMail(mailer, { to, orderId, productName: row.name, quantity: row.quantity, orderUrl: `${base}/orders/${orderId}?token=${token}` });
  } catch (error) {
    // Mail is a convenience: the order page already shows the keys, so a mail server being
    // down must not fail (and retry) a fulfilment that has committed.
    ctx.logger.warn({ orderId, err: { message: (error as Error).message } }, "delivery mail failed");
  }
}

async function isRemoteListingOrder(ctx: AppContext, orderId: string): Promise<boolean> {
  const row = await queryOne<{ remote: boolean }>(
    ctx.database.db,
    sql`SELECT p.remote_supplier_id IS NOT NULL AS remote FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = ${orderId}`,
  );
  return row?.remote === true;
}
