-- Top-ups of a buyer's platform balance (docs/subscriptions.md, "Top-ups of the balance"; issue
-- 19): the balance automatic renewals are charged from (ledger buyer/refunds). Like a shop's
-- prepaid top-up, it is money the platform itself received: paid through the platform's own EPay
-- merchant, credited once its signed notification arrives, once per trade number. The buyer's
-- idempotency key makes a retried request return the same top-up instead of starting a second.
CREATE TABLE balance_topups (
  id               text PRIMARY KEY,
  account_id       bigint NOT NULL REFERENCES accounts (id),
  idempotency_key  text NOT NULL,
  amount_minor     bigint NOT NULL,
  currency         text NOT NULL,
  state            text NOT NULL DEFAULT 'awaiting_payment',
  provider         text NOT NULL DEFAULT 'platform_epay',
  provider_ref     text,
  ledger_tx_id     bigint REFERENCES ledger_transactions (id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  paid_at          timestamptz,
  CONSTRAINT balance_topups_id_format CHECK (id ~ '^BT[0-9A-Z]{8,32}$'),
  CONSTRAINT balance_topups_amount_positive CHECK (amount_minor > 0),
  CONSTRAINT balance_topups_state_known CHECK (state IN ('awaiting_payment', 'paid')),
  CONSTRAINT balance_topups_paid_has_ref CHECK ((state = 'paid') = (provider_ref IS NOT NULL AND paid_at IS NOT NULL AND ledger_tx_id IS NOT NULL)),
  CONSTRAINT balance_topups_idempotency_key UNIQUE (account_id, idempotency_key)
);
CREATE UNIQUE INDEX balance_topups_provider_ref_key ON balance_topups (provider, provider_ref);
CREATE INDEX balance_topups_account_idx ON balance_topups (account_id, created_at DESC);
