-- Subscriptions (docs/subscriptions.md, issue 19 item 1): a product sold per period. The
-- merchant's plan says the period and how it is delivered; a buyer's subscription holds one
-- entitlement whose on-chain expiry is the end of the last paid period; each period is charged
-- at most once (subscription_periods' unique key), from the order for the first period and from
-- the buyer's platform balance (ledger buyer/refunds) for renewals.

-- A product sold per period. period_seconds is fixed per period name (week 7 d, month 30 d,
-- quarter 90 d, year 365 d) because the contract extends an expiry by a number of seconds.
CREATE TABLE subscription_plans (
  product_id      bigint PRIMARY KEY REFERENCES products(id),
  period          text NOT NULL,
  period_seconds  integer NOT NULL,
  delivery        text NOT NULL,
  grace_days      integer NOT NULL DEFAULT 3,
  -- Only entitlements issued after the plan was set start subscriptions (earlier sales were not sold per period).
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT subscription_plans_period_known CHECK (period IN ('week','month','quarter','year')),
  CONSTRAINT subscription_plans_period_seconds CHECK (period_seconds = CASE period WHEN 'week' THEN 604800 WHEN 'month' THEN 2592000 WHEN 'quarter' THEN 7776000 ELSE 31536000 END),
  CONSTRAINT subscription_plans_delivery_known CHECK (delivery IN ('credential','key_per_period')),
  CONSTRAINT subscription_plans_grace_bounds CHECK (grace_days BETWEEN 0 AND 30)
);

-- A buyer's subscription. state: active -> past_due (a renewal failed; the grace period runs)
-- -> active (renewed in grace) | expired (grace over); active|past_due -> cancelled (no more
-- renewals; the paid period runs to its end). paid_until is the end of the last charged period,
-- the expiry the chain must show once the period's row is included.
CREATE TABLE subscriptions (
  id                bigserial PRIMARY KEY,
  account_id        bigint NOT NULL REFERENCES accounts(id),
  shop_id           bigint NOT NULL REFERENCES shops(id),
  product_id        bigint NOT NULL REFERENCES products(id),
  entitlement_id    bigint NOT NULL UNIQUE REFERENCES entitlements(id),
  order_id          text NOT NULL REFERENCES orders(id),
  period_seconds    integer NOT NULL,
  grace_seconds     integer NOT NULL,
  price_minor       bigint NOT NULL,
  currency          text NOT NULL,
  state             text NOT NULL DEFAULT 'active',
  auto_renew        boolean NOT NULL DEFAULT true,
  starts_at         timestamptz NOT NULL,
  paid_until        timestamptz NOT NULL,
  periods_paid      integer NOT NULL DEFAULT 1,
  last_failure      text,
  cancelled_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT subscriptions_state_known CHECK (state IN ('active','past_due','cancelled','expired')),
  CONSTRAINT subscriptions_price_positive CHECK (price_minor > 0),
  CONSTRAINT subscriptions_period_positive CHECK (period_seconds > 0 AND grace_seconds >= 0),
  CONSTRAINT subscriptions_paid_until CHECK (paid_until = starts_at + make_interval(secs => period_seconds::double precision * periods_paid))
);
CREATE INDEX subscriptions_account_idx ON subscriptions (account_id, id);
CREATE INDEX subscriptions_due_idx ON subscriptions (paid_until) WHERE state IN ('active','past_due');

-- Each period charged, at most once: period 0 is the order that started the subscription, each
-- later one a renewal paid from the balance (its ledger transaction). chain_state: the period's
-- expiry on-chain (period 0: setExpiries; later: extendExpiries by period_seconds), sent once.
CREATE TABLE subscription_periods (
  subscription_id  bigint NOT NULL REFERENCES subscriptions(id),
  period_index     integer NOT NULL,
  starts_at        timestamptz NOT NULL,
  ends_at          timestamptz NOT NULL,
  amount_minor     bigint NOT NULL,
  currency         text NOT NULL,
  source           text NOT NULL,
  ledger_tx_id     bigint REFERENCES ledger_transactions(id),
  chain_state      text NOT NULL DEFAULT 'pending',
  chain_tx         text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscription_id, period_index),
  CONSTRAINT subscription_periods_index CHECK (period_index >= 0),
  CONSTRAINT subscription_periods_source_known CHECK (source IN ('order','balance_auto','balance_manual')),
  CONSTRAINT subscription_periods_paid CHECK ((source = 'order') = (ledger_tx_id IS NULL)),
  CONSTRAINT subscription_periods_chain_state_known CHECK (chain_state IN ('pending','submitted','included'))
);
CREATE INDEX subscription_periods_chain_pending_idx ON subscription_periods (subscription_id, period_index) WHERE chain_state IN ('pending','submitted');

-- Renewal reminders, sent once each per period (7 days and 1 day before its end).
CREATE TABLE subscription_reminders (
  subscription_id  bigint NOT NULL REFERENCES subscriptions(id),
  period_index     integer NOT NULL,
  kind             text NOT NULL,
  locale           text NOT NULL,
  sent_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscription_id, period_index, kind),
  CONSTRAINT subscription_reminders_kind_known CHECK (kind IN ('days_7','days_1'))
);

ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_reference_known;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_reference_known CHECK (reference_type IN
  ('order', 'payment', 'payout', 'refund', 'resale', 'hold', 'adjustment', 'topup', 'settlement', 'rental', 'subscription'));
