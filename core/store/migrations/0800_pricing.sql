-- Pricing (docs/pricing.md): member levels per shop, wholesale tiers per product, coupons with
-- their uses, per-buyer daily purchase limits, and the price breakdown stored on each order.
-- The order's amount is what the pricing function quoted: unit price x quantity - coupon discount.

CREATE TABLE member_levels (
  shop_id           bigint NOT NULL REFERENCES shops(id),
  spend_min_minor   bigint NOT NULL,
  name              text NOT NULL,
  discount_percent  integer NOT NULL,
  PRIMARY KEY (shop_id, spend_min_minor),
  CONSTRAINT member_levels_spend_nonnegative CHECK (spend_min_minor >= 0),
  CONSTRAINT member_levels_percent_range CHECK (discount_percent BETWEEN 0 AND 100)
);

CREATE TABLE price_tiers (
  product_id        bigint NOT NULL REFERENCES products(id),
  quantity_min      integer NOT NULL,
  quantity_max      integer,
  unit_price_minor  bigint NOT NULL,
  PRIMARY KEY (product_id, quantity_min),
  CONSTRAINT price_tiers_range CHECK (quantity_min >= 1 AND (quantity_max IS NULL OR quantity_max >= quantity_min)),
  CONSTRAINT price_tiers_price_nonnegative CHECK (unit_price_minor >= 0)
);

CREATE TABLE coupons (
  id                bigserial PRIMARY KEY,
  shop_id           bigint NOT NULL REFERENCES shops(id),
  code              text NOT NULL,
  kind              text NOT NULL,
  value             bigint NOT NULL,
  scope             text NOT NULL DEFAULT 'shop',
  scope_product_id  bigint REFERENCES products(id),
  scope_category    text,
  minimum_minor     bigint NOT NULL DEFAULT 0,
  starts_at         timestamptz,
  ends_at           timestamptz,
  uses_max          integer,
  per_buyer_max     integer,
  uses              integer NOT NULL DEFAULT 0,
  -- Codes generated together share a batch, so they can be exported together.
  batch_id          text,
  disabled_at       timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT coupons_code_unique UNIQUE (shop_id, code),
  CONSTRAINT coupons_kind_value CHECK ((kind = 'fixed' AND value >= 1) OR (kind = 'percent' AND value BETWEEN 1 AND 100)),
  CONSTRAINT coupons_scope_known CHECK ((scope = 'shop' AND scope_product_id IS NULL AND scope_category IS NULL)
    OR (scope = 'product' AND scope_product_id IS NOT NULL AND scope_category IS NULL)
    OR (scope = 'category' AND scope_product_id IS NULL AND scope_category IS NOT NULL)),
  CONSTRAINT coupons_minimum_nonnegative CHECK (minimum_minor >= 0),
  CONSTRAINT coupons_window CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at),
  -- The counter is the exactly-once guard: it can never pass the limit, whatever a caller does.
  CONSTRAINT coupons_uses_within_limit CHECK (uses >= 0 AND (uses_max IS NULL OR uses <= uses_max)),
  CONSTRAINT coupons_limits_positive CHECK ((uses_max IS NULL OR uses_max >= 1) AND (per_buyer_max IS NULL OR per_buyer_max >= 1))
);
CREATE INDEX coupons_batch_idx ON coupons (shop_id, batch_id, id) WHERE batch_id IS NOT NULL;

-- One row per order that claimed a coupon. No foreign key to orders: the claim is taken before
-- the order row exists (and released if the order is not created).
CREATE TABLE coupon_uses (
  order_id     text PRIMARY KEY,
  coupon_id    bigint NOT NULL REFERENCES coupons(id),
  buyer_key    text NOT NULL,
  released_at  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX coupon_uses_buyer_idx ON coupon_uses (coupon_id, buyer_key) WHERE released_at IS NULL;

ALTER TABLE products ADD COLUMN daily_buyer_quantity_max integer;
ALTER TABLE products ADD CONSTRAINT products_daily_limit_positive CHECK (daily_buyer_quantity_max IS NULL OR daily_buyer_quantity_max >= 1);

ALTER TABLE orders ADD COLUMN discount_minor bigint NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN pricing jsonb;
ALTER TABLE orders DROP CONSTRAINT orders_amount_consistent;
ALTER TABLE orders ADD CONSTRAINT orders_amount_consistent
  CHECK (discount_minor >= 0 AND amount_minor = unit_price_minor * quantity - discount_minor);
-- Daily limits count a buyer's (or a guest contact's) recent orders of one product.
CREATE INDEX orders_product_contact_idx ON orders (product_id, contact, created_at) WHERE contact IS NOT NULL;
CREATE INDEX orders_product_buyer_idx ON orders (product_id, buyer_account_id, created_at) WHERE buyer_account_id IS NOT NULL;
