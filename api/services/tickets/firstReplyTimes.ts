// A shop's median time to a merchant's first reply (issue 18's reputation). Over the tickets
// answered so far, optionally those opened since a time; null when none was answered. A ticket
// still waiting past its due time is not in the median (it has no reply time yet): the SLA's
// overdue flag and count say that part.
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export type FirstReplyStatistics = { answered: number; medianSeconds: number | null; overdueOpen: number };

export async function shopFirstReplyStatistics(db: Drizzle, shopId: bigint, since?: Date): Promise<FirstReplyStatistics> {
  const row = await queryOne<{ answered: number; median_seconds: number | null; overdue_open: number }>(
    db,
    sql`SELECT count(*) FILTER (WHERE merchant_first_reply_at IS NOT NULL)::int AS answered,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM merchant_first_reply_at - created_at))
                 FILTER (WHERE merchant_first_reply_at IS NOT NULL)::float8 AS median_seconds,
               count(*) FILTER (WHERE merchant_first_reply_at IS NULL AND state = 'open' AND first_reply_due_at < now())::int AS overdue_open
        FROM support_tickets WHERE shop_id = ${shopId} AND created_at >= ${since ?? new Date(0)}`,
  );
  return { answered: row?.answered ?? 0, medianSeconds: row?.median_seconds ?? null, overdueOpen: row?.overdue_open ?? 0 };
}
