-- Supply docking within the platform (货源对接, docs/docking.md).
--
-- A supplier shop offers one of its automatic products to resellers at a wholesale unit price
-- (docking_offers, one row per offered product). A reseller lists it as a product of its own
-- shop (products.supply_product_id names the supplier's product): its own title and retail
-- price, no keys of its own. The reseller's checkout reserves the supplier's keys, so the
-- supplier's stock is the listing's stock and a key is sold once whoever sells it.
CREATE TABLE docking_offers (
  product_id             bigint PRIMARY KEY REFERENCES products(id),
  shop_id                bigint NOT NULL REFERENCES shops(id),
  wholesale_price_minor  bigint NOT NULL,
  -- 'stopped': no new docked orders (the reseller's open orders still complete or are refunded).
  state                  text NOT NULL DEFAULT 'active',
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT docking_offers_wholesale_positive CHECK (wholesale_price_minor >= 1),
  CONSTRAINT docking_offers_state_known CHECK (state IN ('active', 'stopped'))
);
CREATE INDEX docking_offers_active_idx ON docking_offers (product_id) WHERE state = 'active';

ALTER TABLE products ADD COLUMN supply_product_id bigint REFERENCES docking_offers(product_id);
-- One listing of an offer per reseller shop.
CREATE UNIQUE INDEX products_supply_listing_key ON products (shop_id, supply_product_id) WHERE supply_product_id IS NOT NULL;

-- A docked order names its supplier and the wholesale total (unit wholesale x quantity) fixed at
-- checkout: the sale's ledger entry (api/ledger/dockingLegs.ts) is built from the order row alone,
-- so every rebuild of it (the outbox sweep, a refund) posts the same legs.
ALTER TABLE orders ADD COLUMN supplier_shop_id bigint REFERENCES shops(id);
ALTER TABLE orders ADD COLUMN wholesale_minor bigint;
ALTER TABLE orders ADD CONSTRAINT orders_docking_consistent CHECK (
  (supplier_shop_id IS NULL AND wholesale_minor IS NULL)
  OR (supplier_shop_id IS NOT NULL AND supplier_shop_id <> shop_id AND wholesale_minor >= 1 AND wholesale_minor < amount_minor)
);
