-- keys_track_stock: its current definition (last written by migration 0105_core_product_stock.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- One function for the three events: each branch reads only the transition tables its event
-- has (plpgsql plans a statement when it first runs it). Each key counts in its product's row
-- ('a' available, 'n' pending, 'l' available and allocated to a listing) and, when allocated
-- (migration 1160, docs/docking.md "Auto-restock"), once more in its listing's row ('a').
CREATE OR REPLACE FUNCTION keys_track_stock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_changes jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', a, 'n', n, 'l', 0)) INTO v_changes FROM (
      SELECT product_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'pending') AS n
      FROM new_keys GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', -a, 'n', -n, 'l', -l)) INTO v_changes FROM (
      SELECT product_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'pending') AS n,
             count(*) FILTER (WHERE status = 'available' AND allocated_product_id IS NOT NULL) AS l
      FROM old_keys GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0 OR l <> 0;
  ELSE
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', a, 'n', n, 'l', l)) INTO v_changes FROM (
      SELECT product_id, sum(a) AS a, sum(n) AS n, sum(l) AS l FROM (
        SELECT product_id, (status = 'available')::int AS a, (status = 'pending')::int AS n,
               (status = 'available' AND allocated_product_id IS NOT NULL)::int AS l FROM new_keys
        UNION ALL
        SELECT product_id, -(status = 'available')::int, -(status = 'pending')::int,
               -(status = 'available' AND allocated_product_id IS NOT NULL)::int FROM old_keys
        UNION ALL
        SELECT allocated_product_id, (status = 'available')::int, 0, 0 FROM new_keys WHERE allocated_product_id IS NOT NULL
        UNION ALL
        SELECT allocated_product_id, -(status = 'available')::int, 0, 0 FROM old_keys WHERE allocated_product_id IS NOT NULL
      ) rows GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0 OR l <> 0;
  END IF;
  IF v_changes IS NOT NULL THEN
    PERFORM product_stock_add(v_changes);
  END IF;
  RETURN NULL;
END
$$;
