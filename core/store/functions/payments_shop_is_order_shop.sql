-- payments_shop_is_order_shop: its current definition (last written by migration 0610_payments_unique_per_shop.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION payments_shop_is_order_shop() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  order_shop bigint;
BEGIN
  SELECT shop_id INTO order_shop FROM orders WHERE id = NEW.order_id;
  IF NEW.shop_id IS NULL THEN
    NEW.shop_id := order_shop;
  ELSIF order_shop IS DISTINCT FROM NEW.shop_id THEN
    RAISE EXCEPTION 'payments_shop_is_order_shop: payment for order % names shop %, the order is in shop %',
      NEW.order_id, NEW.shop_id, order_shop USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
