// The recommendations job (docs/discovery.md, "Recommendations"): keeps the item-item filter's
// counts up to date from the signals of signed-in accounts (paid orders, product views, reveals)
// that arrived since its watermarks.
//
// A signal becomes a sighting, one row per (account, product) in recommendation_user_items. The
// counters move only for sightings that row's INSERT ... ON CONFLICT DO NOTHING RETURNING hands
// over, in the same statement: n(item) (item_users) by one per new sighting, and count(a, b)
// (item_pairs) by one for each pair of the account's items with at least one new. A signal read
// twice (a retry, an overlapping run) finds its sighting there and counts nothing.
//
// Two runs never overlap: each batch is one transaction under a transaction-level advisory lock,
// and a run that does not get it stops (the other is doing the work). Without the lock, two
// batches could each pair a new sighting with the account's items as they were before the other
// committed, and the pair of their two new items would be counted by neither.
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

/** pg_try_advisory_xact_lock key of the job (any constant no other lock uses). */
export const recommendationsLockId = 7_220_220n;

export type UpdateRecommendationsParameters = {
  /** Signals read per source and batch. */
  batchSizeMax: number;
  /** Batches per run at most; the next run takes the rest. */
  batchesMax: number;
  /** Views older than this are deleted (privacy: the view's time is not kept longer). */
  viewRetentionDays: number;
};

export const updateRecommendationsDefaults: UpdateRecommendationsParameters = { batchSizeMax: 1000, batchesMax: 20, viewRetentionDays: 30 };

export type UpdateRecommendationsResult = {
  /** "busy": another run holds the lock; this one did nothing. */
  skipped?: "busy";
  batches: number;
  signals: number;
  sightings: number;
  viewsDeleted: number;
};

type Progress = { source: "orders" | "views" | "reveals"; cursor_at: string; cursor_id: string };

type BatchRow = { orders: number; views: number; reveals: number; sightings: number };

export async function updateRecommendations(
  db: Drizzle,
  parameters: UpdateRecommendationsParameters = updateRecommendationsDefaults,
): Promise<UpdateRecommendationsResult> {
  const result: UpdateRecommendationsResult = { batches: 0, signals: 0, sightings: 0, viewsDeleted: 0 };
  for (let batch = 0; batch < parameters.batchesMax; batch++) {
    const counted = await countBatch(db, parameters.batchSizeMax);
    if (counted === "busy") return { ...result, skipped: "busy" };
    result.batches++;
    result.signals += counted.orders + counted.views + counted.reveals;
    result.sightings += counted.sightings;
    const full = Math.max(counted.orders, counted.views, counted.reveals) >= parameters.batchSizeMax;
    if (!full) break;
  }
  result.viewsDeleted = await deleteExpiredViews(db, parameters.viewRetentionDays);
  return result;
}

async function countBatch(db: Drizzle, batchSizeMax: number): Promise<BatchRow | "busy"> {
  return db.transaction(async (tx) => {
    // The horizon: every signal is stamped with its transaction's start (now()), so a signal
    // older than the oldest transaction still open in this database was committed (or rolled
    // back) before this point; a younger one may still be on its way and waits for the next
    // batch. Read before the signals, in its own statement: the signals' statement takes its
    // snapshot after it, so whatever finished before the horizon was read is in that snapshot.
    // (pg_stat_activity shows the start of every session of the same role: the API, workers and
    // indexer share the database role. PGlite has one session: the horizon is now().)
    const lock = await queryOne<{ locked: boolean; horizon: string }>(
      tx,
      sql`SELECT pg_try_advisory_xact_lock(${recommendationsLockId}) AS locked,
            least((SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL), now())::text AS horizon`,
    );
    if (!lock?.locked) return "busy";
    const progress = await queryOne<{ cursors: Progress[] }>(
      tx,
      sql`SELECT json_agg(json_build_object('source', source, 'cursor_at', cursor_at::text, 'cursor_id', cursor_id)) AS cursors FROM recommendation_progress`,
    );
    const cursor = (source: Progress["source"]) => {
      const found = progress!.cursors.find((row) => row.source === source);
      if (!found) throw new Error(`recommendation_progress has no row for ${source}`);
      return found;
    };
    return (await queryOne<BatchRow>(tx, countingStatement(lock.horizon, cursor("orders"), cursor("views"), cursor("reveals"), batchSizeMax)))!;
  });
}

/** One batch: read each source's next signals, record new sightings, move the counters and the watermarks. */
function countingStatement(horizon: string, orders: Progress, views: Progress, reveals: Progress, limit: number) {
  const numericId = (progress: Progress) => (progress.cursor_id === "" ? 0n : BigInt(progress.cursor_id));
  return sql`
    WITH paid AS (
      SELECT o.paid_at AS at, o.id AS key, o.buyer_account_id AS account_id, o.product_id
      FROM orders o
      WHERE o.buyer_account_id IS NOT NULL AND o.paid_at IS NOT NULL
        AND (o.paid_at, o.id) > (${orders.cursor_at}::timestamptz, ${orders.cursor_id}::text) AND o.paid_at < ${horizon}::timestamptz
      ORDER BY o.paid_at, o.id LIMIT ${limit}
    ), viewed AS (
      SELECT v.viewed_at AS at, v.id AS key, v.account_id, v.product_id
      FROM product_views v
      WHERE (v.viewed_at, v.id) > (${views.cursor_at}::timestamptz, ${numericId(views)}::bigint) AND v.viewed_at < ${horizon}::timestamptz
      ORDER BY v.viewed_at, v.id LIMIT ${limit}
    ), revealed AS (
      SELECT e.revealed_at AS at, e.id AS key, e.owner_account_id AS account_id, e.product_id
      FROM entitlements e
      WHERE e.revealed_at IS NOT NULL AND e.owner_account_id IS NOT NULL
        AND (e.revealed_at, e.id) > (${reveals.cursor_at}::timestamptz, ${numericId(reveals)}::bigint) AND e.revealed_at < ${horizon}::timestamptz
      ORDER BY e.revealed_at, e.id LIMIT ${limit}
    ), signals AS (
      SELECT account_id, product_id FROM paid
      UNION SELECT account_id, product_id FROM viewed
      UNION SELECT account_id, product_id FROM revealed
    ), sighted AS (
      INSERT INTO recommendation_user_items (account_id, product_id)
      SELECT account_id, product_id FROM signals
      ON CONFLICT DO NOTHING
      RETURNING account_id, product_id
    ), users_counted AS (
      INSERT INTO item_users (product_id, accounts)
      SELECT product_id, count(*) FROM sighted GROUP BY product_id
      ON CONFLICT (product_id) DO UPDATE SET accounts = item_users.accounts + excluded.accounts
      RETURNING 1
    ), new_pairs AS (
      -- A new item with each item the account had before this batch: every part of the
      -- statement reads recommendation_user_items as it was before the INSERT above...
      SELECT least(n.product_id, o.product_id) AS a, greatest(n.product_id, o.product_id) AS b
      FROM sighted n JOIN recommendation_user_items o ON o.account_id = n.account_id
      UNION ALL
      -- ...and two new items of one account once (a < b).
      SELECT n1.product_id, n2.product_id
      FROM sighted n1 JOIN sighted n2 ON n2.account_id = n1.account_id AND n1.product_id < n2.product_id
    ), pairs_counted AS (
      INSERT INTO item_pairs (product_a, product_b, accounts)
      SELECT a, b, count(*) FROM new_pairs GROUP BY a, b
      ON CONFLICT (product_a, product_b) DO UPDATE SET accounts = item_pairs.accounts + excluded.accounts
      RETURNING 1
    ), last_read AS (
      (SELECT 'orders' AS source, at, key::text AS key FROM paid ORDER BY at DESC, key DESC LIMIT 1)
      UNION ALL (SELECT 'views', at, key::text FROM viewed ORDER BY at DESC, key DESC LIMIT 1)
      UNION ALL (SELECT 'reveals', at, key::text FROM revealed ORDER BY at DESC, key DESC LIMIT 1)
    ), moved AS (
      UPDATE recommendation_progress p SET cursor_at = l.at, cursor_id = l.key, updated_at = now()
      FROM last_read l WHERE p.source = l.source
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM paid)::int AS orders, (SELECT count(*) FROM viewed)::int AS views,
      (SELECT count(*) FROM revealed)::int AS reveals, (SELECT count(*) FROM sighted)::int AS sightings,
      (SELECT count(*) FROM users_counted)::int AS users_counted, (SELECT count(*) FROM pairs_counted)::int AS pairs_counted,
      (SELECT count(*) FROM moved)::int AS moved`;
}

// Deleted per run at most, so a backlog (the first run after an upgrade) never holds the job long.
// Only views the job has counted (at or before its watermark): a view is never lost to the
// retention before its item is recorded.
const expiredViewsPerRunMax = 10_000;

async function deleteExpiredViews(db: Drizzle, retentionDays: number): Promise<number> {
  const row = await queryOne<{ deleted: number }>(
    db,
    sql`WITH gone AS (
          DELETE FROM product_views WHERE id IN (
            SELECT v.id FROM product_views v, recommendation_progress w
            WHERE v.viewed_at < now() - make_interval(days => ${retentionDays})
              AND w.source = 'views' AND (v.viewed_at, v.id) <= (w.cursor_at, nullif(w.cursor_id, '')::bigint)
            ORDER BY v.viewed_at, v.id LIMIT ${expiredViewsPerRunMax})
          RETURNING 1)
        SELECT count(*)::int AS deleted FROM gone`,
  );
  return row!.deleted;
}
