-- Compliance (issue 20, items 4 and 6; docs/compliance.md): anti-money-laundering alerts over the
-- ledger, their decisions and freezes (ledger holds), the flagged wallet list, payout
-- destinations; legal holds and erasure records of the data rights.

-- 1. Where a payout is paid to, when the merchant names a wallet (the flagged-wallet rule reads it).
CREATE TABLE payout_destinations (
  payout_id   text PRIMARY KEY,
  shop_id     bigint NOT NULL REFERENCES shops(id),
  wallet      text NOT NULL CONSTRAINT payout_destinations_wallet_format CHECK (wallet ~ '^0x[0-9a-f]{40}$'),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- 2. Wallets an admin flagged (AML_FLAGGED_WALLETS adds the configured ones to these).
CREATE TABLE aml_flagged_wallets (
  address     text PRIMARY KEY CONSTRAINT aml_flagged_wallets_format CHECK (address ~ '^0x[0-9a-f]{40}$'),
  reason      text NOT NULL,
  added_by    bigint REFERENCES accounts(id),
  added_at    timestamptz NOT NULL DEFAULT now()
);

-- 3. Alerts. dedupe_key makes every evaluation idempotent (a rule re-run over the same entries
-- raises nothing new). Personal data never goes in here: a payer is named by account id, wallet
-- or a hash of the contact (docs/compliance.md, "What holds personal data").
CREATE TABLE aml_alerts (
  id            bigserial PRIMARY KEY,
  rule          text NOT NULL CONSTRAINT aml_alerts_rule_known
                  CHECK (rule IN ('payout_threshold', 'payout_velocity', 'flagged_wallet', 'structuring', 'volume_spike')),
  dedupe_key    text NOT NULL UNIQUE,
  shop_id       bigint NOT NULL REFERENCES shops(id),
  payout_id     text,
  currency      text NOT NULL,
  amount_minor  bigint NOT NULL CONSTRAINT aml_alerts_amount_positive CHECK (amount_minor > 0),
  details       jsonb NOT NULL DEFAULT '{}',
  state         text NOT NULL DEFAULT 'open' CONSTRAINT aml_alerts_state_known CHECK (state IN ('open', 'cleared', 'frozen', 'released')),
  freeze_hold_id bigint REFERENCES ledger_holds(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT aml_alerts_frozen_has_hold CHECK ((state IN ('frozen', 'released')) = (freeze_hold_id IS NOT NULL))
);
CREATE INDEX aml_alerts_state_idx ON aml_alerts (state, id);
CREATE INDEX aml_alerts_payout_idx ON aml_alerts (payout_id) WHERE payout_id IS NOT NULL;
CREATE INDEX aml_alerts_shop_idx ON aml_alerts (shop_id, id);

-- The ledger entries that caused an alert (its evidence; the export proves each one's inclusion).
CREATE TABLE aml_alert_entries (
  alert_id        bigint NOT NULL REFERENCES aml_alerts(id),
  transaction_id  bigint NOT NULL REFERENCES ledger_transactions(id),
  PRIMARY KEY (alert_id, transaction_id)
);

-- Every decision, kept as history (clear, freeze, release), with its reason and decider.
CREATE TABLE aml_decisions (
  id          bigserial PRIMARY KEY,
  alert_id    bigint NOT NULL REFERENCES aml_alerts(id),
  decision    text NOT NULL CONSTRAINT aml_decisions_known CHECK (decision IN ('clear', 'freeze', 'release')),
  reason      text NOT NULL,
  decided_by  bigint NOT NULL REFERENCES accounts(id),
  hold_id     bigint REFERENCES ledger_holds(id),
  decided_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX aml_decisions_alert_idx ON aml_decisions (alert_id, id);

-- The payment sweep's position: order payment entries after this journal id are still to evaluate.
INSERT INTO sweep_cursors (name, position) VALUES ('aml-payments-from', 0) ON CONFLICT DO NOTHING;

-- 4. Data rights. A legal hold on a person refuses their erasure until it is released.
CREATE TABLE legal_holds (
  id           bigserial PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES accounts(id),
  reason       text NOT NULL,
  placed_by    bigint NOT NULL REFERENCES accounts(id),
  placed_at    timestamptz NOT NULL DEFAULT now(),
  released_at  timestamptz,
  released_by  bigint REFERENCES accounts(id)
);
CREATE INDEX legal_holds_open_idx ON legal_holds (account_id) WHERE released_at IS NULL;

-- An erased person: the account row stays (ledger accounts, orders and entitlements refer to it by
-- id) with every personal field replaced; what was erased is counted here, without the data.
ALTER TABLE accounts ADD COLUMN erased_at timestamptz;
CREATE TABLE data_erasures (
  account_id    bigint PRIMARY KEY REFERENCES accounts(id),
  erased_at     timestamptz NOT NULL DEFAULT now(),
  summary       jsonb NOT NULL
);
-- A merchant's erasure destroys its shops' data keys (crypto-shredding): the wrapped key is
-- replaced by nothing, and every ciphertext under it (keys, KYC, attachments, secrets) is noise.
ALTER TABLE shops ADD COLUMN data_key_destroyed_at timestamptz;

-- 5. Retention (docs/compliance.md): the job's turn (epoch seconds of its last run) and the index
-- its oldest-first deletion of login history reads.
INSERT INTO sweep_cursors (name, position) VALUES ('retention-last-run', 0) ON CONFLICT DO NOTHING;
CREATE INDEX login_history_at_idx ON login_history (at);
