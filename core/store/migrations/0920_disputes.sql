-- Disputes and after-sales holds (docs/disputes.md): the after-sales window per product
-- category, the proceeds holds of orders (ledger holds, released by the disputes sweep), the
-- platform's view log of revealed codes, and disputes with their refunds and replacements.

-- How long a merchant's proceeds of a sale stay held, per product category; the platform
-- changes them (PUT /api/admin/after-sales-windows/:category). A dispute can be opened while the
-- window of its order is open.
CREATE TABLE after_sales_windows (
  category        text PRIMARY KEY CHECK (category IN
    ('game_card','software_licence','course_code','subscription','digital_content','service_voucher')),
  window_seconds  integer NOT NULL CHECK (window_seconds BETWEEN 0 AND 31536000),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
-- Defaults: a game card or voucher is used within days; a licence or subscription shows a
-- problem later (activation, renewal), so its window is longer.
INSERT INTO after_sales_windows (category, window_seconds) VALUES
  ('game_card', 3 * 86400), ('service_voucher', 3 * 86400), ('digital_content', 3 * 86400),
  ('course_code', 7 * 86400), ('software_licence', 7 * 86400), ('subscription', 7 * 86400);

-- One row per ledger hold that keeps an order's proceeds (shop payable) back. The hold itself is
-- the ledger's (ledger_holds, no expiry: the ledger's expiry sweep never touches it); release_at
-- is when the disputes sweep posts it back to the payable, unless a dispute on the order is open.
-- A refund voids the order's pending hold and holds the rest again (generation + 1).
CREATE TABLE order_proceeds_holds (
  hold_id     bigint PRIMARY KEY REFERENCES ledger_holds(id),
  order_id    text NOT NULL REFERENCES orders(id),
  shop_id     bigint NOT NULL REFERENCES shops(id),
  generation  integer NOT NULL CHECK (generation >= 1),
  release_at  timestamptz NOT NULL,
  -- The shop's dispute rate was above the threshold at the sale: the window was lengthened.
  extended    boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, generation)
);
CREATE INDEX order_proceeds_holds_release_idx ON order_proceeds_holds (release_at);

-- The platform's view log: a code shown to its holder. Stored minimally: a coarse network
-- region (the address's /16 or /32 prefix, never the address) and a device class.
CREATE TABLE entitlement_views (
  id              bigserial PRIMARY KEY,
  entitlement_id  bigint NOT NULL REFERENCES entitlements(id),
  viewed_at       timestamptz NOT NULL DEFAULT now(),
  network_region  text,
  device_class    text NOT NULL CHECK (device_class IN ('mobile','tablet','desktop','bot','unknown')),
  channel         text NOT NULL CHECK (channel IN ('order','wallet'))
);
CREATE INDEX entitlement_views_entitlement_idx ON entitlement_views (entitlement_id, viewed_at);

-- A buyer's dispute on an order. ticket_id names a support ticket (built elsewhere, no foreign
-- key yet). States: open -> resolved (refund, replacement) | rejected (by the merchant) ->
-- escalated (either party, before escalation_deadline) -> resolved | rejected (arbitration or the
-- answer deadline). A rejected dispute can still be escalated until its escalation deadline.
CREATE TABLE disputes (
  id                    bigserial PRIMARY KEY,
  order_id              text NOT NULL REFERENCES orders(id),
  shop_id               bigint NOT NULL REFERENCES shops(id),
  ticket_id             uuid,
  -- The key in question (its entitlement), when the order has one; replacement replaces it.
  entitlement_id        bigint REFERENCES entitlements(id),
  opened_by_account_id  bigint REFERENCES accounts(id),
  category              text NOT NULL CHECK (category IN ('key_invalid','key_already_used','wrong_product','not_received','other')),
  statement             text NOT NULL,
  state                 text NOT NULL DEFAULT 'open' CHECK (state IN ('open','rejected','escalated','resolved')),
  outcome               text CHECK (outcome IN ('refunded','replaced','rejected')),
  outcome_reason        text,
  decided_by            text CHECK (decided_by IN ('merchant','admin','deadline')),
  escalation_deadline   timestamptz NOT NULL,
  escalated_by          text CHECK (escalated_by IN ('buyer','merchant')),
  escalated_at          timestamptz,
  answer_deadline       timestamptz,
  answer                text,
  answered_at           timestamptz,
  opened_at             timestamptz NOT NULL DEFAULT now(),
  decided_at            timestamptz,
  CONSTRAINT disputes_escalation_complete CHECK ((escalated_by IS NULL) = (escalated_at IS NULL) AND (escalated_at IS NULL) = (answer_deadline IS NULL)),
  CONSTRAINT disputes_outcome_when_decided CHECK ((state IN ('open','escalated')) = (outcome IS NULL))
);
-- The database refuses any other move of a dispute's state (first version here, for the
-- trigger; its current definition is core/store/functions/disputes_check_state_transitions.sql).
CREATE OR REPLACE FUNCTION disputes_check_state_transitions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- The moves of docs/disputes.md ("A dispute's life"); staying in a state is not a move.
  IF OLD.state IS DISTINCT FROM NEW.state AND (OLD.state, NEW.state) NOT IN
     (('open', 'resolved'), ('open', 'rejected'), ('open', 'escalated'), ('rejected', 'escalated'), ('escalated', 'resolved')) THEN
    PERFORM refuse_state_transition('disputes.state', NEW.id, OLD.state, NEW.state);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER disputes_state_transitions BEFORE UPDATE OF state ON disputes
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION disputes_check_state_transitions();

-- At most one dispute of an order is undecided at a time.
CREATE UNIQUE INDEX disputes_one_open_per_order ON disputes (order_id) WHERE state IN ('open','escalated');
CREATE INDEX disputes_shop_idx ON disputes (shop_id, id DESC);
CREATE INDEX disputes_escalated_idx ON disputes (answer_deadline) WHERE state = 'escalated';

-- Money given back by a dispute: each refund is one ledger entry (order:<id>:refund:dispute-<n>).
CREATE TABLE dispute_refunds (
  id              bigserial PRIMARY KEY,
  dispute_id      bigint NOT NULL REFERENCES disputes(id),
  order_id        text NOT NULL REFERENCES orders(id),
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  currency        text NOT NULL,
  -- Where the money goes: the buyer's platform balance, the platform's refunds owed to a guest,
  -- or the merchant's own gateway (merchant-collected sales: the platform never held it).
  channel         text NOT NULL CHECK (channel IN ('buyer_balance','platform_refunds','merchant_gateway')),
  transaction_id  bigint NOT NULL REFERENCES ledger_transactions(id),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dispute_refunds_order_idx ON dispute_refunds (order_id);

-- A replacement: the old entitlement revoked (on-chain through entitlement_revocations), a new
-- key of the same product sold to the order (issued on-chain through the issuance queue).
CREATE TABLE dispute_replacements (
  dispute_id          bigint PRIMARY KEY REFERENCES disputes(id),
  old_entitlement_id  bigint NOT NULL UNIQUE REFERENCES entitlements(id),
  new_entitlement_id  bigint NOT NULL UNIQUE REFERENCES entitlements(id),
  created_at          timestamptz NOT NULL DEFAULT now()
);

-- Proceeds holds apply to sales paid after this migration: the payable of older sales may have
-- been paid out already. The disputes sweep places holds for order_payment entries past this id.
INSERT INTO sweep_cursors (name, position)
SELECT 'proceeds-holds-from', coalesce(max(id), 0) FROM ledger_transactions
ON CONFLICT (name) DO NOTHING;
