-- keys_track_stock: its current definition (last written by migration 0105_core_product_stock.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- One function for the three events: each branch reads only the transition tables its event
-- has (plpgsql plans a statement when it first runs it). Each key counts in its product's row
-- ('a' for sale, 'n' pending, 'l' for sale and allocated to a listing) and, when allocated
-- (migration 1160, docs/docking.md "Auto-restock"), once more in its listing's row ('a').
-- A key is for sale when it is 'available' in a released batch, pending when it is 'available'
-- in a batch not released yet (migration 1570): the batch of each key is read here, and
-- batch_release_keys moves a batch's keys from 'n' to 'a' when it releases them.
CREATE OR REPLACE FUNCTION keys_track_stock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_changes jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', a, 'n', n, 'l', 0)) INTO v_changes FROM (
      SELECT k.product_id, count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NOT NULL) AS a,
             count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NULL) AS n
      FROM new_keys k JOIN batches b ON b.id = k.batch_id GROUP BY k.product_id) d
    WHERE a <> 0 OR n <> 0;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', -a, 'n', -n, 'l', -l)) INTO v_changes FROM (
      SELECT k.product_id, count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NOT NULL) AS a,
             count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NULL) AS n,
             count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NOT NULL AND k.allocated_product_id IS NOT NULL) AS l
      FROM old_keys k JOIN batches b ON b.id = k.batch_id GROUP BY k.product_id) d
    WHERE a <> 0 OR n <> 0 OR l <> 0;
  ELSE
    -- Old and new rows of a key share its batch, read once per row here in this statement.
    WITH new_classified AS (
      SELECT k.product_id, k.status, k.allocated_product_id, b.keys_released_at IS NOT NULL AS released
      FROM new_keys k JOIN batches b ON b.id = k.batch_id
    ), old_classified AS (
      SELECT k.product_id, k.status, k.allocated_product_id, b.keys_released_at IS NOT NULL AS released
      FROM old_keys k JOIN batches b ON b.id = k.batch_id
    )
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', a, 'n', n, 'l', l)) INTO v_changes FROM (
      SELECT product_id, sum(a) AS a, sum(n) AS n, sum(l) AS l FROM (
        SELECT product_id, (status = 'available' AND released)::int AS a, (status = 'available' AND NOT released)::int AS n,
               (status = 'available' AND released AND allocated_product_id IS NOT NULL)::int AS l FROM new_classified
        UNION ALL
        SELECT product_id, -(status = 'available' AND released)::int, -(status = 'available' AND NOT released)::int,
               -(status = 'available' AND released AND allocated_product_id IS NOT NULL)::int FROM old_classified
        UNION ALL
        SELECT allocated_product_id, (status = 'available' AND released)::int, 0, 0 FROM new_classified WHERE allocated_product_id IS NOT NULL
        UNION ALL
        SELECT allocated_product_id, -(status = 'available' AND released)::int, 0, 0 FROM old_classified WHERE allocated_product_id IS NOT NULL
      ) rows GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0 OR l <> 0;
  END IF;
  IF v_changes IS NOT NULL THEN
    PERFORM product_stock_add(v_changes);
  END IF;
  RETURN NULL;
END
$$;
