-- Resale, self-custody and revocation (docs/resale.md).
--
-- Listings: an owner offers a sealed entitlement at a price. At most one active listing per
-- entitlement (partial unique index). A listing leaves 'active' exactly once: sold (a purchase
-- settled), cancelled (by its seller) or pulled (the entitlement was revealed, changed hands,
-- left custody or was revoked: see the trigger below).
CREATE TABLE resale_listings (
  id                 bigserial PRIMARY KEY,
  entitlement_id     bigint NOT NULL REFERENCES entitlements(id),
  seller_account_id  bigint NOT NULL REFERENCES accounts(id),
  shop_id            bigint NOT NULL REFERENCES shops(id),
  product_id         bigint NOT NULL REFERENCES products(id),
  price_minor        bigint NOT NULL,
  currency           text NOT NULL,
  state              text NOT NULL DEFAULT 'active',
  closed_reason      text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  closed_at          timestamptz,
  CONSTRAINT resale_listings_price_positive CHECK (price_minor > 0),
  CONSTRAINT resale_listings_currency_format CHECK (currency ~ '^[A-Z]{3,8}$'),
  CONSTRAINT resale_listings_state_known CHECK (state IN ('active','sold','cancelled','pulled')),
  CONSTRAINT resale_listings_closed CHECK ((state = 'active') = (closed_at IS NULL))
);
CREATE UNIQUE INDEX resale_listings_active_key ON resale_listings (entitlement_id) WHERE state = 'active';
CREATE INDEX resale_listings_product_idx ON resale_listings (product_id, id) WHERE state = 'active';
CREATE INDEX resale_listings_entitlement_idx ON resale_listings (entitlement_id, id DESC);

-- A buyer's checkout of a listing: it reserves the listing until it expires (so a second buyer
-- is refused before paying: the loser is never charged), and is paid through the platform's
-- own EPay merchant. The id is the EPay out_trade_no.
-- state: awaiting_payment -> settled; awaiting_payment -> expired; any -> refund_pending when a
-- payment arrives that can no longer buy the listing.
CREATE TABLE resale_purchases (
  id                 text PRIMARY KEY,
  listing_id         bigint NOT NULL REFERENCES resale_listings(id),
  buyer_account_id   bigint NOT NULL REFERENCES accounts(id),
  price_minor        bigint NOT NULL,
  currency           text NOT NULL,
  state              text NOT NULL DEFAULT 'awaiting_payment',
  expires_at         timestamptz NOT NULL,
  settled_at         timestamptz,
  refund_reason      text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT resale_purchases_state_known CHECK (state IN ('awaiting_payment','settled','expired','refund_pending')),
  CONSTRAINT resale_purchases_price_positive CHECK (price_minor > 0)
);
-- The backstops of "exactly one buyer": one open checkout and one settlement per listing.
CREATE UNIQUE INDEX resale_purchases_open_key ON resale_purchases (listing_id) WHERE state = 'awaiting_payment';
CREATE UNIQUE INDEX resale_purchases_settled_key ON resale_purchases (listing_id) WHERE state = 'settled';
CREATE INDEX resale_purchases_buyer_idx ON resale_purchases (buyer_account_id, created_at DESC);

-- Every accepted payment notification for a resale purchase, once per gateway trade number
-- (a replayed notification conflicts and changes nothing).
CREATE TABLE resale_payments (
  id             bigserial PRIMARY KEY,
  purchase_id    text NOT NULL REFERENCES resale_purchases(id),
  provider       text NOT NULL,
  provider_ref   text NOT NULL,
  amount_minor   bigint NOT NULL,
  currency       text NOT NULL,
  status         text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT resale_payments_provider_known CHECK (provider IN ('epay')),
  CONSTRAINT resale_payments_status_known CHECK (status IN ('accepted','refund_pending'))
);
CREATE UNIQUE INDEX resale_payments_provider_ref_key ON resale_payments (provider, provider_ref);

-- The on-chain proof of a resale between two custodial accounts, queued at settlement and sent
-- in batches by the chain worker (recordCustodialTransfers). Holder ids are pseudonymous:
-- keccak256(holder salt || account id), never an email or an account number.
-- state: pending -> submitted -> included; skipped when the token can no longer be recorded
-- (revoked before the record was sent).
CREATE TABLE custodial_transfers (
  id                 bigserial PRIMARY KEY,
  entitlement_id     bigint NOT NULL REFERENCES entitlements(id),
  purchase_id        text REFERENCES resale_purchases(id),
  from_account_id    bigint NOT NULL REFERENCES accounts(id),
  to_account_id      bigint NOT NULL REFERENCES accounts(id),
  from_holder        bytea NOT NULL,
  to_holder          bytea NOT NULL,
  state              text NOT NULL DEFAULT 'pending',
  tx_hash            text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  included_at        timestamptz,
  CONSTRAINT custodial_transfers_state_known CHECK (state IN ('pending','submitted','included','skipped')),
  CONSTRAINT custodial_transfers_holder_size CHECK (octet_length(from_holder) = 32 AND octet_length(to_holder) = 32)
);
CREATE INDEX custodial_transfers_pending_idx ON custodial_transfers (id) WHERE state IN ('pending','submitted');
CREATE INDEX custodial_transfers_entitlement_idx ON custodial_transfers (entitlement_id, id);

-- Wallets linked by Sign-In With Ethereum: an address belongs to one account.
CREATE TABLE wallet_links (
  address      text PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES accounts(id),
  linked_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT wallet_links_address_format CHECK (address ~ '^0x[0-9a-f]{40}$')
);
CREATE INDEX wallet_links_account_idx ON wallet_links (account_id);

-- SIWE nonces: issued to one account, single-use, short-lived.
CREATE TABLE siwe_nonces (
  nonce        text PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES accounts(id),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);

-- A sealed entitlement moving from custody to a linked wallet (one ERC-721 transfer each),
-- or back (a deposit: the holder's own transfer, seen in its receipt).
-- state: pending -> submitted -> included (withdrawals); deposits are recorded included.
CREATE TABLE wallet_movements (
  id               bigserial PRIMARY KEY,
  entitlement_id   bigint NOT NULL REFERENCES entitlements(id),
  account_id       bigint NOT NULL REFERENCES accounts(id),
  direction        text NOT NULL,
  wallet           text NOT NULL,
  state            text NOT NULL DEFAULT 'pending',
  tx_hash          text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  included_at      timestamptz,
  CONSTRAINT wallet_movements_direction_known CHECK (direction IN ('withdrawal','deposit')),
  CONSTRAINT wallet_movements_state_known CHECK (state IN ('pending','submitted','included','failed')),
  CONSTRAINT wallet_movements_wallet_format CHECK (wallet ~ '^0x[0-9a-f]{40}$')
);
CREATE INDEX wallet_movements_pending_idx ON wallet_movements (id) WHERE state IN ('pending','submitted');
CREATE INDEX wallet_movements_entitlement_idx ON wallet_movements (entitlement_id, id);
-- A deposit transaction credits once.
CREATE UNIQUE INDEX wallet_movements_deposit_tx_key ON wallet_movements (tx_hash, entitlement_id) WHERE direction = 'deposit';

-- Reveals by a wallet holder's EIP-712 signature: who it was revealed to, and the signature's
-- nonce, which is single-use per signer.
CREATE TABLE wallet_reveals (
  signer           text NOT NULL,
  nonce            numeric(78,0) NOT NULL,
  entitlement_id   bigint NOT NULL REFERENCES entitlements(id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (signer, nonce)
);
CREATE INDEX wallet_reveals_entitlement_idx ON wallet_reveals (entitlement_id);

-- Revocations by a merchant or an admin, sent on-chain in batches by the chain worker
-- (revoke(ids, reasonHash): the reason stays off-chain, its keccak256 goes on-chain).
CREATE TABLE entitlement_revocations (
  entitlement_id   bigint PRIMARY KEY REFERENCES entitlements(id),
  actor_account_id bigint NOT NULL REFERENCES accounts(id),
  reason           text NOT NULL,
  reason_hash      bytea NOT NULL,
  state            text NOT NULL DEFAULT 'pending',
  tx_hash          text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  included_at      timestamptz,
  CONSTRAINT entitlement_revocations_state_known CHECK (state IN ('pending','submitted','included')),
  CONSTRAINT entitlement_revocations_reason_hash_size CHECK (octet_length(reason_hash) = 32)
);
CREATE INDEX entitlement_revocations_pending_idx ON entitlement_revocations (entitlement_id) WHERE state IN ('pending','submitted');

-- ERC-2981 royalties per batch: set on-chain (setRoyalty) once a batch of a product with a
-- royalty has a listing, before its first custodial resale record.
CREATE TABLE batch_royalties (
  batch_id      bigint PRIMARY KEY REFERENCES batches(id),
  receiver      text NOT NULL,
  basis_points  integer NOT NULL,
  state         text NOT NULL DEFAULT 'pending',
  tx_hash       text,
  CONSTRAINT batch_royalties_bps_range CHECK (basis_points BETWEEN 0 AND 10000),
  CONSTRAINT batch_royalties_state_known CHECK (state IN ('pending','submitted','included'))
);

-- Revealing, transferring (to another account or a wallet) or revoking an entitlement pulls its
-- active listing, whichever path made the change (the order page's reveal, the indexer's
-- projection of chain events, the resale services): a trigger cannot be forgotten by a new path.
CREATE FUNCTION resale_pull_listing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state IS DISTINCT FROM OLD.state
     OR NEW.owner_account_id IS DISTINCT FROM OLD.owner_account_id
     OR NEW.owner_wallet IS DISTINCT FROM OLD.owner_wallet THEN
    UPDATE resale_listings SET state = 'pulled', closed_at = now(),
      closed_reason = CASE
        WHEN NEW.state = 'revoked' THEN 'revoked'
        WHEN NEW.state = 'redeemed' THEN 'revealed'
        WHEN NEW.owner_wallet IS DISTINCT FROM OLD.owner_wallet THEN 'left_custody'
        ELSE 'owner_changed' END
    WHERE entitlement_id = NEW.id AND state = 'active';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER entitlements_pull_listing AFTER UPDATE OF state, owner_account_id, owner_wallet ON entitlements
  FOR EACH ROW EXECUTE FUNCTION resale_pull_listing();
