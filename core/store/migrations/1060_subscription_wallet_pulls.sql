-- Wallet buyers' automatic renewals from a stablecoin allowance (docs/subscriptions.md, "Renewal
-- by wallet pull"; issue 19 item 1). The buyer creates a PaymentRouter mandate for the
-- subscription (cap per period = the period's price) and approves the router; the platform
-- records the mandate only after reading it back on-chain; the renewal sweep queues one pull per
-- (subscription, period); the chain worker sends it after checking the mandate on-chain; the
-- indexer records the mandate events once; the period is charged in the ledger from the final
-- PeriodPulled event, once (the same idempotency key as a balance renewal of that period).

-- The indexer's projection of PaymentRouter's mandate events (derived like every chain_* table:
-- a reorg rollback deletes by block number). kind: created | pulled | cancelled.
CREATE TABLE chain_mandate_events (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  transaction_hash  text NOT NULL,
  kind              text NOT NULL,
  mandate_id        text NOT NULL,
  payer             text NOT NULL,
  subscription_ref  text NOT NULL,
  period_index      bigint,
  token             text,
  amount            numeric(78,0),
  PRIMARY KEY (chain_id, block_number, log_index),
  CONSTRAINT chain_mandate_events_kind_known CHECK (kind IN ('created','pulled','cancelled')),
  CONSTRAINT chain_mandate_events_pull_shape CHECK ((kind = 'pulled') = (period_index IS NOT NULL AND amount IS NOT NULL))
);
CREATE INDEX chain_mandate_events_mandate_idx ON chain_mandate_events (mandate_id, kind);

-- A mandate the platform read back on-chain for a subscription (never the client's word). The
-- reference is the buyer's random 32 bytes (the contract refuses a reference used before, so a
-- buyer who cancelled creates the next mandate under a new one); the payer must be a wallet the
-- account linked, so a mandate only ever draws on the subscriber's own wallet.
-- state: active -> cancelled (the indexer saw MandateCancelled, final).
CREATE TABLE subscription_mandates (
  mandate_id        text PRIMARY KEY,
  subscription_id   bigint NOT NULL REFERENCES subscriptions(id),
  payer             text NOT NULL,
  subscription_ref  text NOT NULL,
  token             text NOT NULL,
  cap_minor         numeric(78,0) NOT NULL,
  state             text NOT NULL DEFAULT 'active',
  created_at        timestamptz NOT NULL DEFAULT now(),
  cancelled_at      timestamptz,
  CONSTRAINT subscription_mandates_state_known CHECK (state IN ('active','cancelled')),
  CONSTRAINT subscription_mandates_format CHECK (mandate_id ~ '^0x[0-9a-f]{64}$' AND subscription_ref ~ '^0x[0-9a-f]{64}$'
    AND payer ~ '^0x[0-9a-f]{40}$' AND token ~ '^0x[0-9a-f]{40}$' AND cap_minor > 0)
);
-- One live mandate per subscription: it decides the renewal's payment source.
CREATE UNIQUE INDEX subscription_mandates_live_idx ON subscription_mandates (subscription_id) WHERE state = 'active';

-- One pull per (subscription, period): queued by the sweep (ON CONFLICT DO NOTHING on replays),
-- sent by the chain worker. state: pending -> submitted (hash stored before broadcast) ->
-- included (the period is charged when the indexer's PeriodPulled is final) | failed (the
-- contract or token refused: past due, retried by the sweep after an hour of chain time) |
-- superseded (the period was paid some other way before the pull was sent).
CREATE TABLE subscription_pulls (
  subscription_id  bigint NOT NULL REFERENCES subscriptions(id),
  period_index     integer NOT NULL,
  mandate_id       text NOT NULL REFERENCES subscription_mandates(mandate_id),
  amount_minor     bigint NOT NULL,
  state            text NOT NULL DEFAULT 'pending',
  tx_hash          text,
  failure          text,
  attempted_at     timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscription_id, period_index),
  CONSTRAINT subscription_pulls_state_known CHECK (state IN ('pending','submitted','included','failed','superseded')),
  CONSTRAINT subscription_pulls_amount_positive CHECK (amount_minor > 0)
);
CREATE INDEX subscription_pulls_open_idx ON subscription_pulls (subscription_id, period_index) WHERE state IN ('pending','submitted');

-- What the platform made of each final PeriodPulled or MandateCancelled (the outbox mark, written
-- in the transaction that posts the period): charged, cancelled, or why not (the money then waits in platform/clearing_chain
-- for a refund by hand, like an on-chain payment for no known order).
CREATE TABLE chain_mandate_outcomes (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  subscription_id   bigint,
  period_index      bigint,
  outcome           text NOT NULL,
  ledger_tx_id      bigint REFERENCES ledger_transactions(id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, block_number, log_index),
  CONSTRAINT chain_mandate_outcomes_known CHECK (outcome IN ('charged','cancelled','unknown_mandate','period_already_paid','wrong_asset'))
);

-- A period paid by a wallet pull. The list of sources is extended, not rewritten, so a source
-- another migration adds (the key-per-period delivery's) stays allowed whichever runs first.
DO $$
DECLARE
  definition text := pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'subscription_periods_source_known'));
BEGIN
  IF position('''wallet_pull''' IN definition) = 0 THEN
    EXECUTE 'ALTER TABLE subscription_periods DROP CONSTRAINT subscription_periods_source_known';
    EXECUTE 'ALTER TABLE subscription_periods ADD CONSTRAINT subscription_periods_source_known '
      || regexp_replace(definition, '\]', ', ''wallet_pull''::text]');
  END IF;
END $$;
