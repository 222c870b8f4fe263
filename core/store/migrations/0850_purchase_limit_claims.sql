-- Per-buyer daily purchase limits, claimed atomically (docs/pricing.md, "Purchase limits").
-- Before, a checkout counted the buyer's recent orders and then inserted its own in another
-- statement, so concurrent checkouts by one buyer all passed the count together. Now each
-- checkout of a limited product records its quantity here, under a transaction-scoped advisory
-- lock on (product, buyer), after counting the claims before it: one buyer's checkouts of one
-- product queue on the lock, other buyers and unlimited products never take it.
-- No foreign key to orders: the claim is taken before the order row exists, and released if
-- the order is not created or expires unpaid (as coupon_uses).
CREATE TABLE purchase_limit_claims (
  order_id     text PRIMARY KEY,
  product_id   bigint NOT NULL REFERENCES products(id),
  buyer_key    text NOT NULL,
  quantity     integer NOT NULL,
  released_at  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT purchase_limit_claims_quantity_positive CHECK (quantity >= 1)
);
CREATE INDEX purchase_limit_claims_buyer_idx ON purchase_limit_claims (product_id, buyer_key, created_at) WHERE released_at IS NULL;
