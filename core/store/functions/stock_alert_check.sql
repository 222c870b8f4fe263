-- stock_alert_check: its current definition (last written by migration 1120_webhooks.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Stock alerts, once per crossing: a product's level is 'out' at 0 available keys, 'low' at or
-- below its threshold (products.low_stock_threshold), 'ok' above it. When stock falls, moving
-- down from 'ok' raises stock.low (and stock.out too when it lands at 0), and moving to 'out'
-- raises stock.out; when stock rises the level is only recorded, which re-arms the alerts (an
-- import into an empty product is no alert, even when it stays at or below the threshold). A docked listing (docs/docking.md) sells its
-- supplier's keys, so the listings of the product are judged by the same count. Each alert is
-- a console notice (mailed by the dispatcher) and a webhook event, in this transaction.
-- The count is a product's free keys (available - allocated, migration 1160): a listing with an
-- enabled restock rule sells its allocation, its own product_stock row, and is judged by that
-- row only, not by its supplier's free keys.
CREATE OR REPLACE FUNCTION stock_alert_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_product record;
  v_old text;
  v_new text;
  v_events jsonb := '[]'::jsonb;
  v_kind text;
  v_free bigint := NEW.available - NEW.allocated;
  v_free_before bigint := OLD.available - OLD.allocated;
BEGIN
  FOR v_product IN
    SELECT p.id, p.shop_id, p.name, p.low_stock_threshold FROM products p
    WHERE p.id = NEW.product_id
       OR (p.supply_product_id = NEW.product_id
           AND NOT EXISTS (SELECT 1 FROM docking_restock_rules r WHERE r.listing_product_id = p.id AND r.enabled))
    ORDER BY p.id
  LOOP
    v_new := CASE WHEN v_free <= 0 THEN 'out' WHEN v_free <= v_product.low_stock_threshold THEN 'low' ELSE 'ok' END;
    -- The product_stock row this trigger fires on stays locked to the commit: one writer at a time.
    SELECT level INTO v_old FROM stock_alert_levels WHERE product_id = v_product.id;
    v_old := coalesce(v_old, 'ok');
    CONTINUE WHEN v_old = v_new;
    INSERT INTO stock_alert_levels (product_id, level) VALUES (v_product.id, v_new)
      ON CONFLICT (product_id) DO UPDATE SET level = EXCLUDED.level;
    CONTINUE WHEN v_free > v_free_before;
    FOREACH v_kind IN ARRAY ARRAY['low', 'out'] LOOP
      CONTINUE WHEN NOT ((v_kind = 'low' AND v_old = 'ok') OR (v_kind = 'out' AND v_new = 'out'));
      INSERT INTO shop_notices (shop_id, kind, product_id, details)
      VALUES (v_product.shop_id, 'stock_' || v_kind, v_product.id,
              jsonb_build_object('productName', v_product.name, 'available', v_free, 'threshold', v_product.low_stock_threshold));
      v_events := v_events || jsonb_build_object('shop', v_product.shop_id, 'type', 'stock.' || v_kind, 'payload', jsonb_build_object(
        'productId', v_product.id::text, 'available', v_free, 'threshold', v_product.low_stock_threshold));
    END LOOP;
  END LOOP;
  IF jsonb_array_length(v_events) > 0 THEN
    PERFORM webhook_record_events(v_events);
  END IF;
  RETURN NULL;
END
$$;
