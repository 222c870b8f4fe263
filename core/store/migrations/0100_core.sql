-- Core: accounts, shops, products, batches, keys, orders, payments, entitlements.
-- Money is bigint minor units with a currency; chain values (uint256) are numeric(78,0);
-- hashes and addresses are bytea or fixed-width text. Every state column has a CHECK so a bug
-- cannot write a state that does not exist.

CREATE TABLE accounts (
  id            bigserial PRIMARY KEY,
  email         text NOT NULL,
  password_hash text NOT NULL,
  roles         text[] NOT NULL DEFAULT ARRAY['buyer'],
  display_name  text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT accounts_email_lower CHECK (email = lower(email)),
  CONSTRAINT accounts_roles_known CHECK (roles <@ ARRAY['buyer','merchant','reseller','auditor','admin'])
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);

-- Bearer tokens are random 32 bytes; only their SHA-256 is stored.
CREATE TABLE sessions (
  token_hash  bytea PRIMARY KEY,
  account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_account_idx ON sessions (account_id);

CREATE TABLE shops (
  id                 bigserial PRIMARY KEY,
  owner_account_id   bigint NOT NULL REFERENCES accounts(id),
  slug               text NOT NULL UNIQUE,
  name               text NOT NULL,
  description        text NOT NULL DEFAULT '',
  -- The address that anchors this shop's batches on-chain.
  issuer_address     text,
  -- Envelope encryption: the shop's 32-byte data key, AES-256-GCM-wrapped by a master key.
  data_key_wrapped   bytea NOT NULL,
  master_key_id      text NOT NULL,
  -- EPay (易支付) gateway settings; the merchant key is encrypted with the shop's data key.
  epay_gateway_url   text,
  epay_pid           text,
  epay_key_encrypted bytea,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT shops_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$')
);
CREATE INDEX shops_owner_idx ON shops (owner_account_id);

CREATE TABLE products (
  id                   bigserial PRIMARY KEY,
  shop_id              bigint NOT NULL REFERENCES shops(id),
  name                 text NOT NULL,
  description          text NOT NULL DEFAULT '',
  category             text NOT NULL,
  price_minor          bigint NOT NULL,
  currency             text NOT NULL,
  delivery_mode        text NOT NULL DEFAULT 'automatic',
  quantity_min         integer NOT NULL DEFAULT 1,
  quantity_max         integer NOT NULL DEFAULT 10,
  low_stock_threshold  integer NOT NULL DEFAULT 10,
  resale_allowed       boolean NOT NULL DEFAULT false,
  royalty_bps          integer NOT NULL DEFAULT 0,
  status               text NOT NULL DEFAULT 'active',
  -- Manual-delivery products have no keys; their stock is this number (null = unlimited).
  manual_stock         integer,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT products_category_known CHECK (category IN
    ('game_card','software_licence','course_code','subscription','digital_content','service_voucher')),
  CONSTRAINT products_price_nonnegative CHECK (price_minor >= 0),
  CONSTRAINT products_currency_format CHECK (currency ~ '^[A-Z]{3,8}$'),
  CONSTRAINT products_delivery_known CHECK (delivery_mode IN ('automatic','manual')),
  CONSTRAINT products_quantity_range CHECK (quantity_min >= 1 AND quantity_max >= quantity_min),
  CONSTRAINT products_royalty_range CHECK (royalty_bps BETWEEN 0 AND 10000),
  CONSTRAINT products_status_known CHECK (status IN ('active','paused'))
);
CREATE INDEX products_shop_idx ON products (shop_id, id);

-- One import of keys. The import job fills it; the anchor job commits its root on-chain.
-- anchor_state: pending (root built, not sent) -> submitted (transaction sent) -> included
-- (in a block: keys become sellable) -> confirmed (final, set by the indexer).
CREATE TABLE batches (
  id             bigserial PRIMARY KEY,
  shop_id        bigint NOT NULL REFERENCES shops(id),
  product_id     bigint NOT NULL REFERENCES products(id),
  key_count      integer NOT NULL,
  root           bytea,
  tree_encoding  text NOT NULL DEFAULT 'oz-standard-v1',
  anchor_state   text NOT NULL DEFAULT 'pending',
  anchor_tx      text,
  anchor_block   bigint,
  anchored_at    timestamptz,
  chain_id       bigint,
  registry_address text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT batches_anchor_state_known CHECK (anchor_state IN ('pending','submitted','included','confirmed','failed'))
);
CREATE INDEX batches_shop_idx ON batches (shop_id, id DESC);
CREATE INDEX batches_anchor_pending_idx ON batches (id) WHERE anchor_state IN ('pending','submitted');

-- Progress of an import job, readable through the API (processed / total).
CREATE TABLE imports (
  id           bigserial PRIMARY KEY,
  shop_id      bigint NOT NULL REFERENCES shops(id),
  product_id   bigint NOT NULL REFERENCES products(id),
  account_id   bigint REFERENCES accounts(id),
  status       text NOT NULL DEFAULT 'queued',
  format       text NOT NULL DEFAULT 'text',
  total        integer NOT NULL DEFAULT 0,
  processed    integer NOT NULL DEFAULT 0,
  batch_id     bigint REFERENCES batches(id),
  error        jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  CONSTRAINT imports_status_known CHECK (status IN ('queued','running','done','failed')),
  CONSTRAINT imports_format_known CHECK (format IN ('text','csv'))
);

-- One secret code. The plaintext never reaches this table: `ciphertext` is AES-256-GCM under
-- the shop's data key, `dedupe_hash` is an HMAC keyed per shop, `commitment` is
-- keccak256(salt || secret) with a random 32-byte salt, `leaf_hash` is the OpenZeppelin
-- standard leaf over the values in docs/certificate.md, `proof` is its Merkle proof.
-- status: pending (batch not yet anchored) -> available -> reserved -> sold; revoked at any time.
CREATE TABLE keys (
  id           bigserial PRIMARY KEY,
  shop_id      bigint NOT NULL REFERENCES shops(id),
  product_id   bigint NOT NULL REFERENCES products(id),
  batch_id     bigint NOT NULL REFERENCES batches(id),
  leaf_index   integer NOT NULL,
  ciphertext   bytea NOT NULL,
  dedupe_hash  bytea NOT NULL,
  salt         bytea NOT NULL,
  commitment   bytea NOT NULL,
  leaf_hash    bytea NOT NULL,
  proof        bytea[] NOT NULL,
  status       text NOT NULL DEFAULT 'pending',
  order_id     text,
  reserved_until timestamptz,
  sold_at      timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT keys_status_known CHECK (status IN ('pending','available','reserved','sold','revoked')),
  CONSTRAINT keys_salt_size CHECK (octet_length(salt) = 32),
  CONSTRAINT keys_order_when_taken CHECK ((status IN ('reserved','sold')) = (order_id IS NOT NULL))
);
CREATE UNIQUE INDEX keys_shop_dedupe_key ON keys (shop_id, dedupe_hash);
CREATE UNIQUE INDEX keys_batch_leaf_key ON keys (batch_id, leaf_index);
CREATE UNIQUE INDEX keys_leaf_hash_key ON keys (leaf_hash);
-- Without this partial index PostgreSQL walks the primary key past every sold key to find an
-- available one (measured: 2.2 ms and growing per reservation, against 0.06 ms).
CREATE INDEX keys_available_idx ON keys (product_id, id) WHERE status = 'available';
CREATE INDEX keys_order_idx ON keys (order_id) WHERE order_id IS NOT NULL;

-- An order: one product line (quantity N), the way every 发卡 shop sells.
-- state: awaiting_payment -> paid -> fulfilled; awaiting_payment -> expired;
-- paid -> refund_pending (not enough stock) -> refunded; failed for unrecoverable errors.
CREATE TABLE orders (
  id                   text PRIMARY KEY,
  shop_id              bigint NOT NULL REFERENCES shops(id),
  product_id           bigint NOT NULL REFERENCES products(id),
  buyer_account_id     bigint REFERENCES accounts(id),
  contact              text,
  query_password_hash  bytea,
  quantity             integer NOT NULL,
  unit_price_minor     bigint NOT NULL,
  amount_minor         bigint NOT NULL,
  currency             text NOT NULL,
  state                text NOT NULL DEFAULT 'awaiting_payment',
  payment_method       text NOT NULL DEFAULT 'epay',
  idempotency_key      text,
  expires_at           timestamptz NOT NULL,
  paid_at              timestamptz,
  fulfilled_at         timestamptz,
  refund_reason        text,
  delivery_note        text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_state_known CHECK (state IN
    ('awaiting_payment','paid','fulfilled','expired','refund_pending','refunded','failed')),
  CONSTRAINT orders_quantity_positive CHECK (quantity >= 1),
  CONSTRAINT orders_amount_consistent CHECK (amount_minor = unit_price_minor * quantity),
  CONSTRAINT orders_buyer_or_contact CHECK (buyer_account_id IS NOT NULL OR (contact IS NOT NULL AND query_password_hash IS NOT NULL))
);
CREATE UNIQUE INDEX orders_idempotency_key ON orders (shop_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_buyer_idx ON orders (buyer_account_id, created_at DESC) WHERE buyer_account_id IS NOT NULL;
CREATE INDEX orders_shop_idx ON orders (shop_id, created_at DESC);
CREATE INDEX orders_expiring_idx ON orders (expires_at) WHERE state = 'awaiting_payment';

-- Every payment notification that was accepted. The unique (provider, provider_ref) is what
-- makes a replayed notification change nothing: the second insert conflicts.
CREATE TABLE payments (
  id             bigserial PRIMARY KEY,
  order_id       text NOT NULL REFERENCES orders(id),
  provider       text NOT NULL,
  provider_ref   text NOT NULL,
  amount_minor   bigint NOT NULL,
  currency       text NOT NULL,
  status         text NOT NULL DEFAULT 'accepted',
  payload_sha256 bytea,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payments_provider_known CHECK (provider IN ('epay','chain')),
  CONSTRAINT payments_status_known CHECK (status IN ('accepted','underpaid','overpaid','late','duplicate','refund_pending','refunded'))
);
CREATE UNIQUE INDEX payments_provider_ref_key ON payments (provider, provider_ref);
CREATE INDEX payments_order_idx ON payments (order_id);

-- One per sold key. token_id is assigned by the contract at issuance (sequential ids).
-- issue_state: pending -> submitted -> included -> confirmed (final, set by the indexer).
CREATE TABLE entitlements (
  id                bigserial PRIMARY KEY,
  key_id            bigint NOT NULL UNIQUE REFERENCES keys(id),
  order_id          text NOT NULL REFERENCES orders(id),
  shop_id           bigint NOT NULL REFERENCES shops(id),
  product_id        bigint NOT NULL REFERENCES products(id),
  batch_id          bigint NOT NULL REFERENCES batches(id),
  owner_account_id  bigint REFERENCES accounts(id),
  owner_wallet      text,
  state             text NOT NULL DEFAULT 'sealed',
  token_id          numeric(78,0),
  issue_state       text NOT NULL DEFAULT 'pending',
  issue_tx          text,
  issue_block       bigint,
  issued_at         timestamptz,
  revealed_at       timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT entitlements_state_known CHECK (state IN ('sealed','redeemed','revoked')),
  CONSTRAINT entitlements_issue_state_known CHECK (issue_state IN ('pending','submitted','included','confirmed','failed'))
);
CREATE INDEX entitlements_order_idx ON entitlements (order_id);
CREATE INDEX entitlements_issue_pending_idx ON entitlements (id) WHERE issue_state = 'pending';
CREATE UNIQUE INDEX entitlements_token_key ON entitlements (token_id) WHERE token_id IS NOT NULL;
CREATE INDEX entitlements_owner_idx ON entitlements (owner_account_id) WHERE owner_account_id IS NOT NULL;

-- Who did what, when: every privileged action (imports, rotations, payouts, revocations).
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  account_id  bigint REFERENCES accounts(id),
  action      text NOT NULL,
  subject     text,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_idx ON audit_log (id DESC);
