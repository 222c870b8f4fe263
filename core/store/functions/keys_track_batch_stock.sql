-- keys_track_batch_stock: its current definition (last written by migration 0340_merchant_rollups.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- 'available' counts the keys for sale: 'available' in a released batch (migration 1570). A batch
-- not released yet counts none; batch_release_keys adds them when it releases the batch.
CREATE OR REPLACE FUNCTION keys_track_batch_stock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT batch_id, a, n FROM (
      SELECT k.batch_id, count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NOT NULL) AS a,
             count(*) FILTER (WHERE k.status = 'sold') AS n
      FROM new_keys k JOIN batches b ON b.id = k.batch_id GROUP BY k.batch_id) d
    WHERE a <> 0 OR n <> 0 ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT batch_id, -a, -n FROM (
      SELECT k.batch_id, count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NOT NULL) AS a,
             count(*) FILTER (WHERE k.status = 'sold') AS n
      FROM old_keys k JOIN batches b ON b.id = k.batch_id GROUP BY k.batch_id) d
    WHERE a <> 0 OR n <> 0 ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold;
  ELSE
    -- A key keeps its batch, so the batch's release state is the same for its old and new row.
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT d.batch_id, CASE WHEN b.keys_released_at IS NULL THEN 0 ELSE d.a END, d.n FROM (
      SELECT batch_id, sum(a) AS a, sum(n) AS n FROM (
        SELECT batch_id, (status = 'available')::int AS a, (status = 'sold')::int AS n FROM new_keys
        UNION ALL
        SELECT batch_id, -(status = 'available')::int, -(status = 'sold')::int FROM old_keys
      ) r GROUP BY batch_id) d
    JOIN batches b ON b.id = d.batch_id
    WHERE (d.a <> 0 AND b.keys_released_at IS NOT NULL) OR d.n <> 0 ORDER BY d.batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold;
  END IF;
  RETURN NULL;
END
$$;
