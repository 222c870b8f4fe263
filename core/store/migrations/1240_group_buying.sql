-- Group buying (拼团, docs/groupbuy.md): a merchant's group offer on a product, the groups buyers
-- open on it, and the members seated in each. A member's order is an ordinary order at the group
-- price whose pricing records the group (orders.pricing->'group'); its payment is held (the
-- order is paid, its key reserved, nothing delivered) until the group fills or expires.

-- One offer per product: the group price (below the product's price), N buyers, T hours.
CREATE TABLE group_offers (
  product_id     bigint PRIMARY KEY REFERENCES products(id),
  shop_id        bigint NOT NULL REFERENCES shops(id),
  price_minor    bigint NOT NULL,
  size           integer NOT NULL,
  window_hours   integer NOT NULL,
  active         boolean NOT NULL DEFAULT true,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT group_offers_price_positive CHECK (price_minor > 0),
  CONSTRAINT group_offers_size_range CHECK (size BETWEEN 2 AND 50),
  -- At most 48 hours: below the shortest after-sales window (3 days), so a held member's proceeds
  -- are still held (not paid out) when the group expires and its payment is refunded.
  CONSTRAINT group_offers_window_range CHECK (window_hours BETWEEN 1 AND 48)
);

CREATE TABLE buying_groups (
  id                 text PRIMARY KEY,
  product_id         bigint NOT NULL REFERENCES products(id),
  shop_id            bigint NOT NULL REFERENCES shops(id),
  leader_account_id  bigint NOT NULL REFERENCES accounts(id),
  price_minor        bigint NOT NULL,
  currency           text NOT NULL,
  size               integer NOT NULL,
  members_count      integer NOT NULL DEFAULT 0,
  state              text NOT NULL DEFAULT 'open',
  expires_at         timestamptz NOT NULL,
  filled_at          timestamptz,
  expired_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT buying_groups_state_known CHECK (state IN ('open','filled','expired')),
  -- Exactly N members: never more, whatever the code does.
  CONSTRAINT buying_groups_members_within_size CHECK (members_count BETWEEN 0 AND size),
  CONSTRAINT buying_groups_filled_when_full CHECK ((state = 'filled') = (members_count = size AND filled_at IS NOT NULL))
);
CREATE INDEX buying_groups_open_expiry ON buying_groups (expires_at) WHERE state = 'open';
CREATE INDEX buying_groups_product ON buying_groups (product_id, created_at DESC);

-- A seat is taken when the member's payment is accepted (never at join): one per order, one per account.
CREATE TABLE group_members (
  group_id     text NOT NULL REFERENCES buying_groups(id),
  order_id     text NOT NULL REFERENCES orders(id),
  account_id   bigint NOT NULL REFERENCES accounts(id),
  seated_at    timestamptz NOT NULL DEFAULT now(),
  refunded_at  timestamptz,
  PRIMARY KEY (group_id, account_id),
  CONSTRAINT group_members_order_once UNIQUE (order_id)
);

-- The group of an order, from what its checkout recorded with its price (one insert, no second write).
ALTER TABLE orders ADD COLUMN group_id text GENERATED ALWAYS AS (pricing->'group'->>'groupId') STORED;
CREATE INDEX orders_group_idx ON orders (group_id) WHERE group_id IS NOT NULL;

-- The moves of a group's state (docs/groupbuy.md); first version here, for the trigger; its current
-- definition is core/store/functions/buying_groups_check_state_transitions.sql.
CREATE OR REPLACE FUNCTION buying_groups_check_state_transitions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state IS DISTINCT FROM NEW.state AND (OLD.state, NEW.state) NOT IN (('open', 'filled'), ('open', 'expired')) THEN
    -- refuse_state_transition takes a bigint row id; a group's id is text, so the same refusal is raised here.
    RAISE EXCEPTION 'buying_groups.state of row % may not move from % to %', NEW.id, OLD.state, NEW.state
      USING ERRCODE = 'check_violation', CONSTRAINT = 'buying_groups_state_transition',
            HINT = 'A group moves only from open to filled or to expired (docs/groupbuy.md).';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER buying_groups_state_transitions BEFORE UPDATE OF state ON buying_groups
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION buying_groups_check_state_transitions();
