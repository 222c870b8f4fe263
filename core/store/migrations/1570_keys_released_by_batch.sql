-- A batch's keys become sellable when the batch is released, not by rewriting each key (issue 21,
-- bench:import). Until now an import stored its keys as 'pending' and the anchor step ran
-- `UPDATE keys SET status = 'available'` over the whole batch: a new version of every row and an
-- entry in each of its six indexes (the update is never HOT: status is in the partial indexes'
-- predicates), about 80 MB of WAL and a fifth of the whole import's CPU for 100,000 keys.
--
-- Now an import stores its keys as 'available' at once, and a key is for sale only while its
-- batch's keys_released_at is set. Releasing a batch (batch_release_keys, called by the chain
-- writer once the root is included) is one row of batches and one count: the invariant "a key is
-- never sold before its batch is committed on-chain" moves from the key's status to the batch
-- row that every key-picking query checks (test/keys/releaseGate.test.ts). Release is one-way,
-- as the status flip was: a reorganisation that requeues the anchor does not withdraw the keys.
--
-- The stock counters keep their meaning: product_stock.available and batch_stock.available count
-- keys for sale, product_stock.pending the keys waiting for their anchor (status 'available' in an
-- unreleased batch). The statement triggers on keys classify each key through its batch, and
-- batch_release_keys moves the batch's keys from pending to available when it releases it.
ALTER TABLE batches ADD COLUMN keys_released_at timestamptz;

-- Batches whose keys were already released (none left 'pending'), and anchored batches without keys.
UPDATE batches b SET keys_released_at = coalesce(b.anchored_at, now())
WHERE NOT EXISTS (SELECT 1 FROM keys k WHERE k.batch_id = b.id AND k.status = 'pending')
  AND (b.anchor_state IN ('included', 'confirmed') OR EXISTS (SELECT 1 FROM keys k WHERE k.batch_id = b.id));

-- Keys still 'pending' wait in unreleased batches: the same state is now 'available' there. The
-- counters already count them as pending, which is what they stay, so the triggers (still the
-- old functions while migrations run) are kept out of this one rewrite.
ALTER TABLE keys DISABLE TRIGGER keys_stock_update, DISABLE TRIGGER keys_batch_stock_update;
UPDATE keys SET status = 'available' WHERE status = 'pending';
ALTER TABLE keys ENABLE TRIGGER keys_stock_update, ENABLE TRIGGER keys_batch_stock_update;
ALTER TABLE keys ALTER COLUMN status SET DEFAULT 'available';
ALTER TABLE keys DROP CONSTRAINT keys_status_known;
ALTER TABLE keys ADD CONSTRAINT keys_status_known CHECK (status IN ('available','reserved','sold','revoked'));

-- Releasing a batch (its later definitions live in core/store/functions/batch_release_keys.sql).
CREATE FUNCTION batch_release_keys(p_batch_id bigint) RETURNS bigint LANGUAGE plpgsql AS $$
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
