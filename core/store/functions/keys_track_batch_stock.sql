-- keys_track_batch_stock: its current definition (last written by migration 0340_merchant_rollups.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION keys_track_batch_stock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT batch_id, a, n FROM (
      SELECT batch_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'sold') AS n
      FROM new_keys GROUP BY batch_id) d
    WHERE a <> 0 OR n <> 0 ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT batch_id, -a, -n FROM (
      SELECT batch_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'sold') AS n
      FROM old_keys GROUP BY batch_id) d
    WHERE a <> 0 OR n <> 0 ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold;
  ELSE
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT batch_id, a, n FROM (
      SELECT batch_id, sum(a) AS a, sum(n) AS n FROM (
        SELECT batch_id, (status = 'available')::int AS a, (status = 'sold')::int AS n FROM new_keys
        UNION ALL
        SELECT batch_id, -(status = 'available')::int, -(status = 'sold')::int FROM old_keys
      ) r GROUP BY batch_id) d
    WHERE a <> 0 OR n <> 0 ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold;
  END IF;
  RETURN NULL;
END
$$;
