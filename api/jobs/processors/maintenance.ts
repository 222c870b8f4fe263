import type { Job } from "bullmq";
import type { AppContext } from "../../context.ts";
import { expireOrders } from "../../services/orders/expireOrders.ts";
import { queryRows, sql } from "../../store/database.ts";
import { enqueueFulfilment } from "../enqueue.ts";

export async function processMaintenance(ctx: AppContext, job: Job): Promise<unknown> {
  switch (job.name) {
    case "expire-orders":
      return { expired: await expireOrders(ctx.database.db) };
    case "requeue-paid":
      return { requeued: await requeuePaidOrders(ctx) };
    default:
      return { ignored: job.name };
  }
}

// A paid order whose fulfilment job was lost (Redis down between the payment's commit and
// the enqueue) is found here and enqueued again; fulfilment is idempotent.
async function requeuePaidOrders(ctx: AppContext): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    ctx.database.db,
    sql`SELECT o.id FROM orders o JOIN products p ON p.id = o.product_id
        WHERE o.state = 'paid' AND p.delivery_mode = 'automatic' AND o.paid_at < now() - interval '20 seconds'
        ORDER BY o.paid_at LIMIT 500`,
  );
  for (const row of rows) await enqueueFulfilment(ctx.queues, row.id);
  return rows.length;
}
