-- docking_restock: its current definition (last written by migration 1160_docking_restock.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Tops up a listing's allocation (docs/docking.md, "Auto-restock") when it is below its rule's
-- threshold: allocates the next keys of the supplier's product that no one holds (by id, SKIP
-- LOCKED: a key another transaction is reserving or allocating is left to it), at most the
-- rule's batch, never beyond its cap of allocated available keys, never beyond its remaining
-- budget at the offer's wholesale price, and only while the offer and both products are active.
-- Answers the keys allocated (0: nothing to do).
--
-- Locks: the caller holds the product_stock rows of the listing and of the supplier's product
-- (a sale of an allocated key changes both in one ordered upsert; the rule's service locks them
-- first), so the rule row (FOR UPDATE) and the keys (SKIP LOCKED) are all this takes: no cycle
-- with a sale, a stop or another listing's restock.
CREATE OR REPLACE FUNCTION docking_restock(p_listing bigint, p_reason text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_rule record;
  v_held bigint;
  v_want bigint;
  v_taken integer;
BEGIN
  SELECT r.threshold, r.batch_keys, r.max_keys, r.budget_remaining_minor, l.supply_product_id, d.wholesale_price_minor
    INTO v_rule
  FROM docking_restock_rules r
  JOIN products l ON l.id = r.listing_product_id AND l.status = 'active'
  JOIN docking_offers d ON d.product_id = l.supply_product_id AND d.state = 'active'
  JOIN products sp ON sp.id = d.product_id AND sp.status = 'active'
  WHERE r.listing_product_id = p_listing AND r.enabled
  FOR UPDATE OF r;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  v_held := coalesce((SELECT available FROM product_stock WHERE product_id = p_listing), 0);
  IF v_held >= v_rule.threshold THEN
    RETURN 0;
  END IF;
  v_want := least(v_rule.batch_keys, v_rule.max_keys - v_held, v_rule.budget_remaining_minor / v_rule.wholesale_price_minor);
  IF v_want <= 0 THEN
    RETURN 0;
  END IF;
  UPDATE keys SET allocated_product_id = p_listing
  WHERE id IN (SELECT k.id FROM keys k
               WHERE coalesce(k.allocated_product_id, k.product_id) = v_rule.supply_product_id AND k.status = 'available'
                 -- Only keys for sale (core/store/keyOnSale.ts): their batch is released (migration 1570).
                 AND EXISTS (SELECT 1 FROM batches released WHERE released.id = k.batch_id AND released.keys_released_at IS NOT NULL)
               ORDER BY k.id LIMIT v_want FOR UPDATE SKIP LOCKED);
  GET DIAGNOSTICS v_taken = ROW_COUNT;
  IF v_taken > 0 THEN
    UPDATE docking_restock_rules
    SET budget_remaining_minor = budget_remaining_minor - v_taken * v_rule.wholesale_price_minor,
        restocked_keys = restocked_keys + v_taken
    WHERE listing_product_id = p_listing;
    INSERT INTO docking_restocks (listing_product_id, supply_product_id, keys, wholesale_unit_minor, cost_minor, reason)
    VALUES (p_listing, v_rule.supply_product_id, v_taken, v_rule.wholesale_price_minor, v_taken * v_rule.wholesale_price_minor, p_reason);
  END IF;
  RETURN v_taken;
END
$$;
