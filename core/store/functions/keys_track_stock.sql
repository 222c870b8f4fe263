-- keys_track_stock: its current definition (last written by migration 0105_core_product_stock.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- One function for the three events: each branch reads only the transition tables its event
-- has (plpgsql plans a statement when it first runs it).
CREATE OR REPLACE FUNCTION keys_track_stock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_changes jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', a, 'n', n)) INTO v_changes FROM (
      SELECT product_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'pending') AS n
      FROM new_keys GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', -a, 'n', -n)) INTO v_changes FROM (
      SELECT product_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'pending') AS n
      FROM old_keys GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0;
  ELSE
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', a, 'n', n)) INTO v_changes FROM (
      SELECT product_id, sum(a) AS a, sum(n) AS n FROM (
        SELECT product_id, (status = 'available')::int AS a, (status = 'pending')::int AS n FROM new_keys
        UNION ALL
        SELECT product_id, -(status = 'available')::int, -(status = 'pending')::int FROM old_keys
      ) rows GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0;
  END IF;
  IF v_changes IS NOT NULL THEN
    PERFORM product_stock_add(v_changes);
  END IF;
  RETURN NULL;
END
$$;
