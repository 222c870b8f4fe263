// A paid order whose fulfilment job was lost (Redis down between the payment's commit and the
// enqueue, a notification that gave up waiting for the queue, a Redis that came back empty) is
// found here and enqueued again; fulfilment is idempotent. Paid orders are the fulfilment's
// outbox: nothing else needs to remember them.
//
// One run drains the whole backlog (bounded): after a 60 s Redis outage at 40 orders/s, 2,400
// orders wait here, and a sweep that took 500 per 30 s run delivered the last of them 2.5
// minutes late. Pages of the backlog, in payment order, go to the queue in one addBulk each;
// the job id is the order id, so an order whose job still exists (waiting, active, kept after
// completion or failure) is not enqueued a second time, by this run or by any other sweep.
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { enqueueFulfilments, enqueueGroupFulfilments } from "../enqueue.ts";
import type { Queues } from "../queues.ts";
import { drainPages, type DrainPagesReturnType } from "./drainPages.ts";

export type RequeuePaidOrdersParameters = {
  /** Orders paid more recently than this are normally in flight and are left alone. */
  graceSeconds: number;
  /** One addBulk (one MULTI to Redis) and one SQL page per this many orders. */
  pageSizeMax?: number;
  pagesMax?: number;
};

// 500 jobs are about 150 KB in one MULTI and a millisecond or two of serialising: no pause a
// request notices. 200 pages (100,000 orders, over 40 minutes of sales at 40/s) bound one run;
// a larger backlog continues at the next run.
export const requeuePageSizeMaxDefault = 500;
export const requeuePagesMaxDefault = 200;

// paid_at travels as text: a JavaScript Date keeps milliseconds, PostgreSQL microseconds, and a
// cursor rounded down would read the last rows of a page again.
type PaidOrderRow = { id: string; paid_at: string; group_id: string | null };

export async function requeuePaidOrders(db: Drizzle, queues: Queues, parameters: RequeuePaidOrdersParameters): Promise<DrainPagesReturnType> {
  // One cut-off for the whole run, so payments arriving during it cannot keep it going.
  const { cutoff } = (await queryOne<{ cutoff: string }>(db, sql`SELECT (now() - make_interval(secs => ${parameters.graceSeconds}))::text AS cutoff`))!;
  return drainPages<PaidOrderRow>({
    pageSizeMax: parameters.pageSizeMax ?? requeuePageSizeMaxDefault,
    pagesMax: parameters.pagesMax ?? requeuePagesMaxDefault,
    readPage: (after, limit) =>
      queryRows<PaidOrderRow>(
        db,
        sql`SELECT o.id, o.paid_at::text AS paid_at, o.group_id FROM orders o JOIN products p ON p.id = o.product_id
            WHERE o.state = 'paid' AND (p.delivery_mode = 'automatic' OR p.remote_supplier_id IS NOT NULL) AND o.paid_at < ${cutoff}::timestamptz
              -- A held group payment waits for its group to fill (docs/groupbuy.md).
              AND (o.group_id IS NULL OR EXISTS (SELECT 1 FROM buying_groups g WHERE g.id = o.group_id AND g.state = 'filled'))
              AND (o.paid_at, o.id) > (${after?.paid_at ?? "-infinity"}::timestamptz, ${after?.id ?? ""})
            ORDER BY o.paid_at, o.id LIMIT ${limit}`,
      ),
    handle: async (rows) => {
      await enqueueFulfilments(
        queues,
        rows.filter((row) => row.group_id === null).map((row) => row.id),
      );
      // Members of a filled group: under the group job ids, since each one's payment job ran already.
      await enqueueGroupFulfilments(
        queues,
        rows.filter((row) => row.group_id !== null).map((row) => row.id),
      );
    },
  });
}
