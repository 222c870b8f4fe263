-- batch_release_keys: its current definition (last written by migration 1570_keys_released_by_batch.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Puts a batch's keys on sale once its root is committed on-chain (the chain writer calls it in
-- the transaction that records the inclusion): sets batches.keys_released_at, which every
-- key-picking query checks, and moves the batch's keys from pending to available in
-- product_stock and batch_stock, which the statement triggers on keys keep from then on.
-- One-way and idempotent: a released batch stays released (a reorganisation requeues the
-- anchor, it does not withdraw keys), and a second call changes nothing. Answers the keys
-- released by this call.
--
-- The count reads the batch's keys once (no write to them): while a batch is not released no
-- query picks, allocates or sells its keys, so nothing else changes their counts meanwhile; the
-- import that wrote them has finished (the batch has its root, which the anchor needs).
CREATE OR REPLACE FUNCTION batch_release_keys(p_batch_id bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_product bigint;
  v_count bigint;
  v_allocated bigint;
  v_foreign bigint;
BEGIN
  UPDATE batches SET keys_released_at = now() WHERE id = p_batch_id AND keys_released_at IS NULL
  RETURNING product_id INTO v_product;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  SELECT count(*), count(*) FILTER (WHERE allocated_product_id IS NOT NULL), count(*) FILTER (WHERE product_id <> v_product)
    INTO v_count, v_allocated, v_foreign
  FROM keys WHERE batch_id = p_batch_id AND status = 'available';
  IF v_foreign <> 0 THEN
    RAISE EXCEPTION 'Invariant: batch % holds % keys of another product.', p_batch_id, v_foreign;
  END IF;
  IF v_allocated <> 0 THEN
    RAISE EXCEPTION 'Invariant: batch % has % keys allocated to a listing before its release.', p_batch_id, v_allocated;
  END IF;
  IF v_count <> 0 THEN
    PERFORM product_stock_add(jsonb_build_array(jsonb_build_object('p', v_product, 'a', v_count, 'n', -v_count, 'l', 0)));
    INSERT INTO batch_stock AS s (batch_id, available, sold) VALUES (p_batch_id, v_count, 0)
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available;
  END IF;
  RETURN v_count;
END
$$;
