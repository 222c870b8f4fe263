-- The daily sales volume of a shop's verification level, claimed atomically (docs/saas.md,
-- "Limits by verification level"). Before, a checkout summed the shop's recent orders and its
-- order was inserted later by the group commit, so concurrent checkouts all passed the sum
-- together. Now a checkout of a shop whose level limits the currency records its amount here,
-- under a transaction-scoped advisory lock on (shop, currency), after summing the orders and the
-- claims before it. A claim counts only until its order exists (then the order counts, by its
-- state) and is deleted once the checkout has its answer; a claim whose process died before
-- that stops counting after 15 minutes (far beyond a checkout) and is swept by the next claim.
-- No foreign key to orders: the claim is taken before the order row exists (as purchase_limit_claims).
CREATE TABLE sales_volume_claims (
  order_id     text PRIMARY KEY,
  shop_id      bigint NOT NULL REFERENCES shops(id),
  currency     text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sales_volume_claims_shop_idx ON sales_volume_claims (shop_id, currency, created_at);
