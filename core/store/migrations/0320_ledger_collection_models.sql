-- Two collection models (docs/ledger.md, "Who holds the money").
--
-- Platform-collected money (the on-chain PaymentRouter, the platform's own EPay merchant) is
-- held by the platform, which owes the shop a payable; payouts draw on it. Merchant-collected
-- money (a shop's own EPay gateway, whose key the merchant chose and can sign anything with)
-- never passes through the platform: it creates no payable. The sale is recorded as a memo
-- pair (platform/clearing_merchant debited, shop/collected credited: what the merchant took on
-- its own gateway, never payable) and the platform fee becomes a receivable from the merchant
-- (shop/fee_receivable, debited), settled from a prepaid balance (shop/prepaid, credited by
-- top-ups the platform collected; never negative).
--
-- Existing journal rows are untouched (append-only); only the lists of known purposes and
-- reference types grow, and prepaid joins the floored purposes.

ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_purpose_known;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_purpose_known CHECK (purpose IN
  ('clearing_epay', 'clearing_chain', 'payments', 'payable', 'fees', 'royalties', 'proceeds',
   'holds', 'refunds', 'payouts', 'adjustments',
   'clearing_merchant', 'collected', 'fee_receivable', 'prepaid'));

-- A generated column's expression cannot be altered before PostgreSQL 17: drop and add it again
-- (one table rewrite; accounts are few). The CHECK that reads it goes and comes back with it.
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_floor;
ALTER TABLE ledger_accounts DROP COLUMN floor_zero;
ALTER TABLE ledger_accounts ADD COLUMN floor_zero boolean
  GENERATED ALWAYS AS (purpose IN ('payable', 'proceeds', 'holds', 'prepaid')) STORED;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_floor CHECK (NOT floor_zero OR balance_minor >= 0);

ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_reference_known;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_reference_known CHECK (reference_type IN
  ('order', 'payment', 'payout', 'refund', 'resale', 'hold', 'adjustment', 'topup', 'settlement'));

-- A merchant's top-up of its prepaid platform balance: an order placed with the platform's own
-- EPay merchant (platform-collected), paid once.
CREATE TABLE shop_topups (
  id           text PRIMARY KEY,
  shop_id      bigint NOT NULL REFERENCES shops (id),
  amount_minor bigint NOT NULL,
  currency     text NOT NULL,
  state        text NOT NULL DEFAULT 'awaiting_payment',
  provider     text NOT NULL DEFAULT 'platform_epay',
  provider_ref text,
  created_by   bigint REFERENCES accounts (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  paid_at      timestamptz,
  CONSTRAINT shop_topups_id_format CHECK (id ~ '^TU[0-9A-Z]{8,32}$'),
  CONSTRAINT shop_topups_amount_positive CHECK (amount_minor > 0),
  CONSTRAINT shop_topups_state_known CHECK (state IN ('awaiting_payment', 'paid')),
  CONSTRAINT shop_topups_paid_has_ref CHECK ((state = 'paid') = (provider_ref IS NOT NULL AND paid_at IS NOT NULL))
);
CREATE UNIQUE INDEX shop_topups_provider_ref_key ON shop_topups (provider, provider_ref);
CREATE INDEX shop_topups_shop_idx ON shop_topups (shop_id, created_at DESC);
