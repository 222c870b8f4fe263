-- Upgrades of a running subscription to a dearer plan of the same period (docs/subscriptions.md,
-- "Upgrades"): the buyer pays the prorated price difference for what is left of the current paid
-- period (rounded down, from the balance, one ledger entry), and later periods cost the new
-- price. One row per upgrade; the key allows one move to each product per period (a move back
-- down is never an upgrade, so a product cannot be upgraded to twice in one period).
CREATE TABLE subscription_upgrades (
  subscription_id    bigint NOT NULL REFERENCES subscriptions (id),
  period_index       integer NOT NULL,
  from_product_id    bigint NOT NULL REFERENCES products (id),
  to_product_id      bigint NOT NULL REFERENCES products (id),
  old_price_minor    bigint NOT NULL,
  new_price_minor    bigint NOT NULL,
  remaining_seconds  integer NOT NULL,
  period_seconds     integer NOT NULL,
  amount_minor       bigint NOT NULL,
  currency           text NOT NULL,
  -- NULL only when the prorated amount rounds down to nothing (no entry to post).
  ledger_tx_id       bigint REFERENCES ledger_transactions (id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscription_id, period_index, to_product_id),
  CONSTRAINT subscription_upgrades_dearer CHECK (new_price_minor > old_price_minor),
  CONSTRAINT subscription_upgrades_remaining CHECK (remaining_seconds BETWEEN 0 AND period_seconds),
  CONSTRAINT subscription_upgrades_amount CHECK (
    amount_minor = (new_price_minor - old_price_minor) * remaining_seconds / period_seconds),
  CONSTRAINT subscription_upgrades_paid CHECK ((amount_minor = 0) = (ledger_tx_id IS NULL))
);
