-- Signed webhooks and stock alerts (docs/webhooks.md).
--
-- Events are written to an outbox, webhook_events, by triggers on the tables whose changes
-- cause them (orders, batches, entitlements, disputes, product_stock), so every event is
-- recorded in the transaction of its state change, whoever writes it (services, workers,
-- the indexer). Only shops with an active endpoint that chose the event's type get a row.
-- Each shop's events carry a gapless sequence taken from webhook_shop_sequences: the counter's
-- row lock is held to the commit, so a shop's events commit in sequence order, which is what
-- lets the dispatcher deliver them in order. The triggers' bodies live in core/store/functions;
-- this migration creates them as placeholders so the triggers can name them.

CREATE TABLE webhook_endpoints (
  id           bigserial PRIMARY KEY,
  shop_id      bigint NOT NULL REFERENCES shops(id),
  url          text NOT NULL,
  description  text NOT NULL DEFAULT '',
  events       text[] NOT NULL,
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- One dispatcher at a time delivers an endpoint's events (in order): it holds this lease.
  lease_until  timestamptz,
  CONSTRAINT webhook_endpoints_events_chosen CHECK (cardinality(events) > 0),
  CONSTRAINT webhook_endpoints_url_length CHECK (length(url) <= 2048)
);
CREATE INDEX webhook_endpoints_shop_idx ON webhook_endpoints (shop_id) WHERE active;

-- Signing secrets, encrypted with the shop's data key. A rotation adds a secret and gives the
-- old ones an expiry (the overlap window); every unexpired secret signs each delivery.
CREATE TABLE webhook_secrets (
  id                bigserial PRIMARY KEY,
  endpoint_id       bigint NOT NULL REFERENCES webhook_endpoints(id),
  secret_encrypted  bytea NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz
);
CREATE INDEX webhook_secrets_endpoint_idx ON webhook_secrets (endpoint_id);

CREATE TABLE webhook_shop_sequences (
  shop_id        bigint PRIMARY KEY REFERENCES shops(id),
  last_sequence  bigint NOT NULL
);

CREATE TABLE webhook_events (
  id          bigserial PRIMARY KEY,
  -- What the receiver drops duplicates by.
  event_id    uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  shop_id     bigint NOT NULL REFERENCES shops(id),
  sequence    bigint NOT NULL,
  type        text NOT NULL,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  fanned_out  boolean NOT NULL DEFAULT false,
  CONSTRAINT webhook_events_sequence_key UNIQUE (shop_id, sequence)
);
CREATE INDEX webhook_events_fan_out_idx ON webhook_events (id) WHERE NOT fanned_out;

CREATE TABLE webhook_deliveries (
  id                bigserial PRIMARY KEY,
  endpoint_id       bigint NOT NULL REFERENCES webhook_endpoints(id),
  event_row_id      bigint NOT NULL REFERENCES webhook_events(id),
  sequence          bigint NOT NULL,
  state             text NOT NULL DEFAULT 'pending',
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  first_attempt_at  timestamptz,
  last_status       integer,
  last_error        text,
  delivered_at      timestamptz,
  -- A replay (the console's button) is a new delivery of the same event.
  replay_of         bigint REFERENCES webhook_deliveries(id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhook_deliveries_state_known CHECK (state IN ('pending','delivered','abandoned'))
);
CREATE UNIQUE INDEX webhook_deliveries_once_key ON webhook_deliveries (endpoint_id, event_row_id) WHERE replay_of IS NULL;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (endpoint_id, sequence, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, id);

-- The delivery log: one row per attempt, with the response's status and the start of its body.
CREATE TABLE webhook_delivery_attempts (
  id                bigserial PRIMARY KEY,
  delivery_id       bigint NOT NULL REFERENCES webhook_deliveries(id),
  attempted_at      timestamptz NOT NULL,
  status_code       integer,
  error             text,
  response_excerpt  text,
  duration_ms       integer NOT NULL
);
CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, id);

-- Stock alerts: the level last announced for a product against its low_stock_threshold
-- (0100_core.sql), which re-arms once stock rises above the threshold again.
CREATE TABLE stock_alert_levels (
  product_id  bigint PRIMARY KEY REFERENCES products(id),
  level       text NOT NULL,
  CONSTRAINT stock_alert_levels_known CHECK (level IN ('ok','low','out'))
);

-- Console notices of a shop (stock alerts); mail_state: pending until the dispatcher mailed
-- the shop's owner (or found no mailer).
CREATE TABLE shop_notices (
  id          bigserial PRIMARY KEY,
  shop_id     bigint NOT NULL REFERENCES shops(id),
  kind        text NOT NULL,
  product_id  bigint REFERENCES products(id),
  details     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  read_at     timestamptz,
  mail_state  text NOT NULL DEFAULT 'pending',
  CONSTRAINT shop_notices_kind_known CHECK (kind IN ('stock_low','stock_out')),
  CONSTRAINT shop_notices_mail_state_known CHECK (mail_state IN ('pending','sent','skipped'))
);
CREATE INDEX shop_notices_shop_idx ON shop_notices (shop_id, id);
CREATE INDEX shop_notices_mail_idx ON shop_notices (id) WHERE mail_state = 'pending';

CREATE FUNCTION webhook_record_events(p_events jsonb) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION webhook_orders_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION webhook_entitlements_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION webhook_batch_anchored() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION webhook_dispute_opened() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION stock_alert_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;

CREATE TRIGGER orders_webhook_events AFTER UPDATE ON orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_orders_changed();
CREATE TRIGGER entitlements_webhook_events AFTER UPDATE ON entitlements REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_entitlements_changed();
CREATE TRIGGER batches_webhook_anchored AFTER UPDATE OF anchor_state ON batches
  FOR EACH ROW WHEN (NEW.anchor_state IN ('included','confirmed') AND OLD.anchor_state NOT IN ('included','confirmed')) EXECUTE FUNCTION webhook_batch_anchored();
CREATE TRIGGER disputes_webhook_opened AFTER INSERT ON disputes
  FOR EACH ROW EXECUTE FUNCTION webhook_dispute_opened();
CREATE TRIGGER product_stock_alerts AFTER UPDATE ON product_stock
  FOR EACH ROW WHEN (NEW.available IS DISTINCT FROM OLD.available) EXECUTE FUNCTION stock_alert_check();
