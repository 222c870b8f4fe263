import type { Job } from "bullmq";
import type { AppContext } from "../../context.ts";
import { fulfilOrder } from "../../services/orders/fulfilOrder.ts";

export async function processFulfilment(ctx: AppContext, job: Job): Promise<string> {
  const orderId = String((job.data as { orderId: string }).orderId);
  return fulfilOrder(ctx.database.db, orderId);
}
