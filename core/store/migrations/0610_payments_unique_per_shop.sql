-- Payments are unique per (shop, provider, provider_ref), not per (provider, provider_ref):
-- each shop's EPay gateway numbers its trades on its own, so another shop's notification with
-- the same trade_no made a shop's genuine notification look like a replay (answered
-- `success`, the order left unpaid). A payment's shop is its order's shop, always: the
-- trigger fills it in when an insert leaves it out and refuses one that names another shop,
-- so the unique key cannot be dodged by naming a wrong shop.
ALTER TABLE payments ADD COLUMN shop_id bigint;
UPDATE payments p SET shop_id = o.shop_id FROM orders o WHERE o.id = p.order_id;
ALTER TABLE payments ALTER COLUMN shop_id SET NOT NULL;

CREATE FUNCTION payments_shop_is_order_shop() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER payments_shop_is_order_shop BEFORE INSERT OR UPDATE OF order_id, shop_id ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_shop_is_order_shop();

CREATE UNIQUE INDEX payments_shop_provider_ref_key ON payments (shop_id, provider, provider_ref);
DROP INDEX payments_provider_ref_key;
