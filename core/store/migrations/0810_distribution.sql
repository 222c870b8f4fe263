-- Distribution (docs/distribution.md): agents with sub-stores (分站) and referral commissions
-- over up to three levels (三级分销). What a sale owes each party is decided at checkout and
-- stored in the order's pricing breakdown (orders.pricing -> 'distribution'); the sale's one
-- journal transaction credits it to the distributor's ledger accounts.

-- A merchant's invitation, accepted once by an account. Only the SHA-256 of the link's token is stored.
CREATE TABLE agent_invitations (
  id                  bigserial PRIMARY KEY,
  shop_id             bigint NOT NULL REFERENCES shops(id),
  token_sha256        bytea NOT NULL UNIQUE,
  created_by          bigint NOT NULL REFERENCES accounts(id),
  expires_at          timestamptz NOT NULL,
  accepted_by         bigint REFERENCES accounts(id),
  accepted_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agent_invitations_accepted_together CHECK ((accepted_by IS NULL) = (accepted_at IS NULL))
);

-- One sub-store per agent per shop. Its slug is its storefront address (/s/<slug>).
CREATE TABLE substores (
  id                  bigserial PRIMARY KEY,
  shop_id             bigint NOT NULL REFERENCES shops(id),
  agent_account_id    bigint NOT NULL REFERENCES accounts(id),
  slug                text NOT NULL UNIQUE,
  name                text NOT NULL,
  colour              text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT substores_one_per_agent UNIQUE (shop_id, agent_account_id),
  CONSTRAINT substores_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{2,39}$'),
  CONSTRAINT substores_colour_format CHECK (colour ~ '^#[0-9a-f]{6}$')
);

-- The merchant's bounds on an agent's markup per unit; a product without bounds is not offered to agents.
CREATE TABLE agent_markup_bounds (
  product_id          bigint PRIMARY KEY REFERENCES products(id),
  markup_min_minor    bigint NOT NULL,
  markup_max_minor    bigint NOT NULL,
  CONSTRAINT agent_markup_bounds_order CHECK (markup_min_minor >= 0 AND markup_max_minor >= markup_min_minor)
);

-- The products a sub-store carries and its markup per unit on each.
CREATE TABLE substore_products (
  substore_id         bigint NOT NULL REFERENCES substores(id),
  product_id          bigint NOT NULL REFERENCES products(id),
  markup_minor        bigint NOT NULL,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (substore_id, product_id),
  CONSTRAINT substore_products_markup_nonnegative CHECK (markup_minor >= 0)
);

-- Commission rates in basis points for levels 1..3: a shop's (product_id 0) and per-product overrides.
CREATE TABLE commission_rates (
  shop_id             bigint NOT NULL REFERENCES shops(id),
  product_id          bigint NOT NULL DEFAULT 0,
  level1_bps          integer NOT NULL,
  level2_bps          integer NOT NULL,
  level3_bps          integer NOT NULL,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, product_id),
  CONSTRAINT commission_rates_range CHECK (level1_bps >= 0 AND level2_bps >= 0 AND level3_bps >= 0
    AND level1_bps + level2_bps + level3_bps <= 10000)
);

-- Every account's referral code (the ?ref= of its links), made on first use.
CREATE TABLE referral_codes (
  account_id          bigint PRIMARY KEY REFERENCES accounts(id),
  code                text NOT NULL UNIQUE,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT referral_codes_format CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{10}$')
);

-- A buyer's referrer in a shop: first touch, kept until expires_at; after that the next touch may replace it.
CREATE TABLE referral_attachments (
  shop_id             bigint NOT NULL REFERENCES shops(id),
  buyer_account_id    bigint NOT NULL REFERENCES accounts(id),
  referrer_account_id bigint NOT NULL REFERENCES accounts(id),
  attached_at         timestamptz NOT NULL DEFAULT now(),
  expires_at          timestamptz NOT NULL,
  PRIMARY KEY (shop_id, buyer_account_id),
  CONSTRAINT referral_attachments_not_self CHECK (buyer_account_id <> referrer_account_id)
);
CREATE INDEX referral_attachments_referrer_idx ON referral_attachments (shop_id, referrer_account_id);

-- Distributors (agents and referrers, by account id) own ledger accounts: holds (earnings inside
-- the chargeback window), proceeds (payable to them) and payout_holds (a payout awaiting approval).
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_owner_known;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_owner_known CHECK (owner_type IN ('platform', 'shop', 'buyer', 'reseller', 'distributor'));
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_purpose_known;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_purpose_known CHECK (purpose IN
  ('clearing_epay', 'clearing_chain', 'payments', 'payable', 'fees', 'royalties', 'proceeds',
   'holds', 'refunds', 'payouts', 'adjustments',
   'clearing_merchant', 'collected', 'fee_receivable', 'prepaid', 'payout_holds'));
-- As in 0320: a generated column's expression cannot be altered before PostgreSQL 17.
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_floor;
ALTER TABLE ledger_accounts DROP COLUMN floor_zero;
ALTER TABLE ledger_accounts ADD COLUMN floor_zero boolean
  GENERATED ALWAYS AS (purpose IN ('payable', 'proceeds', 'holds', 'prepaid', 'payout_holds')) STORED;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_floor CHECK (NOT floor_zero OR balance_minor >= 0);

