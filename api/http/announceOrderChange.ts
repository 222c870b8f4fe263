// Wakes the order pages waiting for an order (Redis pub/sub, api/services/orders/orderEvents.ts)
// after a request changed it. The change has committed; a lost message only means the page's
// long poll times out and it reads the order then. So a Redis that is down or slow is waited
// on a bounded time (JOB_ENQUEUE_TIMEOUT_MS) and the skip is logged: the request answers on time.
import type { AppContext } from "../context.ts";
import { handOverToRedis } from "../jobs/enqueue.ts";

export async function announceOrderChange(ctx: AppContext, orderId: string): Promise<void> {
  await handOverToRedis(ctx, () => ctx.orderEvents.publish(orderId), {
    code: "order_event_skipped",
    message: "order change not announced: Redis did not take it (waiting order pages read it when their poll times out)",
    fields: { orderId },
  });
}
