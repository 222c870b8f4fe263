-- Rentals of sealed entitlements (docs/rentals.md): an owner offers a sealed, resellable
-- entitlement for rent (price per day, minimum and maximum term) where its product allows rental
-- use; a renter pays through the platform's EPay merchant; for the term the renter is the token's
-- ERC-4907 user, may use the content, and the owner may not reveal, sell or withdraw it.

-- The merchant's declaration that the content may be used by a renter for a while (a shared
-- account credential). One-time codes leave it false: they are never offered for rent.
ALTER TABLE products ADD COLUMN rental_allowed boolean NOT NULL DEFAULT false;

-- rental_chain_state: the token's on-chain enableRental, sent once per entitlement (NULL: never
-- asked; pending -> submitted -> included).
ALTER TABLE entitlements ADD COLUMN rental_chain_state text,
  ADD COLUMN rental_chain_tx text,
  ADD CONSTRAINT entitlements_rental_chain_state_known CHECK (rental_chain_state IN ('pending','submitted','included'));
CREATE INDEX entitlements_rental_chain_pending_idx ON entitlements (id) WHERE rental_chain_state IN ('pending','submitted');

-- An offer to rent. At most one active offer per entitlement; it leaves 'active' exactly once:
-- rented (a rental settled), cancelled (by its owner) or pulled (the entitlement was revealed,
-- changed hands, left custody or was revoked).
CREATE TABLE rental_listings (
  id                   bigserial PRIMARY KEY,
  entitlement_id       bigint NOT NULL REFERENCES entitlements(id),
  owner_account_id     bigint NOT NULL REFERENCES accounts(id),
  shop_id              bigint NOT NULL REFERENCES shops(id),
  product_id           bigint NOT NULL REFERENCES products(id),
  price_per_day_minor  bigint NOT NULL,
  currency             text NOT NULL,
  min_days             integer NOT NULL,
  max_days             integer NOT NULL,
  state                text NOT NULL DEFAULT 'active',
  created_at           timestamptz NOT NULL DEFAULT now(),
  closed_at            timestamptz,
  CONSTRAINT rental_listings_price_positive CHECK (price_per_day_minor > 0),
  CONSTRAINT rental_listings_currency_format CHECK (currency ~ '^[A-Z]{3,8}$'),
  CONSTRAINT rental_listings_term_bounds CHECK (min_days >= 1 AND max_days >= min_days AND max_days <= 365),
  CONSTRAINT rental_listings_state_known CHECK (state IN ('active','rented','cancelled','pulled')),
  CONSTRAINT rental_listings_closed CHECK ((state = 'active') = (closed_at IS NULL))
);
CREATE UNIQUE INDEX rental_listings_active_key ON rental_listings (entitlement_id) WHERE state = 'active';
CREATE INDEX rental_listings_product_idx ON rental_listings (product_id, id) WHERE state = 'active';

-- A renter's checkout and, once paid, the rental itself. The id is the EPay out_trade_no.
-- state: awaiting_payment -> settled; awaiting_payment -> expired; any -> refund_pending when a
-- payment arrives that can no longer rent. starts_at/ends_at are set at settlement; the user's
-- right ends at ends_at with no transaction (on-chain: the token's userExpires).
-- chain_state: the setUser of a settled rental (pending -> submitted -> included).
CREATE TABLE rentals (
  id                 text PRIMARY KEY,
  listing_id         bigint NOT NULL REFERENCES rental_listings(id),
  entitlement_id     bigint NOT NULL REFERENCES entitlements(id),
  owner_account_id   bigint NOT NULL REFERENCES accounts(id),
  renter_account_id  bigint NOT NULL REFERENCES accounts(id),
  days               integer NOT NULL,
  price_minor        bigint NOT NULL,
  currency           text NOT NULL,
  state              text NOT NULL DEFAULT 'awaiting_payment',
  expires_at         timestamptz NOT NULL,
  starts_at          timestamptz,
  ends_at            timestamptz,
  user_address       text,
  chain_state        text,
  tx_hash            text,
  refund_reason      text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT rentals_state_known CHECK (state IN ('awaiting_payment','settled','expired','refund_pending')),
  CONSTRAINT rentals_price_positive CHECK (price_minor > 0),
  CONSTRAINT rentals_days_positive CHECK (days >= 1),
  CONSTRAINT rentals_settled_term CHECK ((state = 'settled') = (starts_at IS NOT NULL AND ends_at IS NOT NULL AND ends_at > starts_at)),
  CONSTRAINT rentals_chain_state_known CHECK (chain_state IN ('pending','submitted','included'))
);
-- The backstops of "exactly one renter": one open checkout and one settlement per listing (and a
-- listing closes when rented, and a new one is refused while a rental runs).
CREATE UNIQUE INDEX rentals_open_key ON rentals (listing_id) WHERE state = 'awaiting_payment';
CREATE UNIQUE INDEX rentals_settled_key ON rentals (listing_id) WHERE state = 'settled';
CREATE INDEX rentals_entitlement_idx ON rentals (entitlement_id, ends_at DESC) WHERE state = 'settled';
CREATE INDEX rentals_chain_pending_idx ON rentals (id) WHERE chain_state IN ('pending','submitted');

-- Every accepted payment notification for a rental, once per gateway trade number.
CREATE TABLE rental_payments (
  id             bigserial PRIMARY KEY,
  rental_id      text NOT NULL REFERENCES rentals(id),
  provider       text NOT NULL,
  provider_ref   text NOT NULL,
  amount_minor   bigint NOT NULL,
  currency       text NOT NULL,
  status         text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT rental_payments_provider_known CHECK (provider IN ('epay')),
  CONSTRAINT rental_payments_status_known CHECK (status IN ('accepted','refund_pending'))
);
CREATE UNIQUE INDEX rental_payments_provider_ref_key ON rental_payments (provider, provider_ref);

-- The ledger's reference types gain 'rental' (a rental's payment and its split).
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_reference_known;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_reference_known CHECK (reference_type IN
  ('order', 'payment', 'payout', 'refund', 'resale', 'hold', 'adjustment', 'topup', 'settlement', 'rental'));

-- An offer to rent is pulled when its entitlement is revealed, revoked, changes owner or leaves
-- custody, like a resale listing (resale_pull_listing): the same events, the same trigger columns.
CREATE OR REPLACE FUNCTION rental_pull_listing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.state IS DISTINCT FROM OLD.state AND NEW.state IN ('revoked', 'redeemed'))
     OR NEW.owner_account_id IS DISTINCT FROM OLD.owner_account_id
     OR (NEW.owner_wallet IS DISTINCT FROM OLD.owner_wallet AND coalesce((
           SELECT w.direction FROM wallet_movements w WHERE w.entitlement_id = NEW.id AND w.state <> 'failed' ORDER BY w.id DESC LIMIT 1), 'deposit') = 'withdrawal') THEN
    UPDATE rental_listings SET state = 'pulled', closed_at = now() WHERE entitlement_id = NEW.id AND state = 'active';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER entitlements_pull_rental_listing AFTER UPDATE OF state, owner_account_id, owner_wallet ON entitlements
  FOR EACH ROW EXECUTE FUNCTION rental_pull_listing();
