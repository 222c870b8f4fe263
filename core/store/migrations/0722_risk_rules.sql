-- Risk rules (docs/abuse.md, "Risk rules"): blacklists, a risk score per order with per-product
-- thresholds, and a review hold before delivery.

-- A blacklist entry is private to a shop (shop_id) or shared by the platform (shop_id NULL).
-- Kinds: an email, an IP range (CIDR), a wallet address (lower-case hex).
CREATE TABLE blacklist_entries (
  id          bigserial PRIMARY KEY,
  shop_id     bigint REFERENCES shops(id),
  kind        text NOT NULL CHECK (kind IN ('email', 'ip_range', 'wallet')),
  value       text NOT NULL,
  ip_range    cidr,
  reason      text NOT NULL DEFAULT '',
  created_by  bigint NOT NULL REFERENCES accounts(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT blacklist_ip_range_set CHECK ((kind = 'ip_range') = (ip_range IS NOT NULL))
);
CREATE UNIQUE INDEX blacklist_entries_key ON blacklist_entries (coalesce(shop_id, 0), kind, value);

-- Per-product thresholds of the risk score (NULL: the platform's defaults, RISK_*_SCORE).
ALTER TABLE products ADD COLUMN risk_review_score integer CHECK (risk_review_score BETWEEN 0 AND 1000);
ALTER TABLE products ADD COLUMN risk_block_score integer CHECK (risk_block_score BETWEEN 0 AND 1000);

-- The order's score and why, its device and paying wallet (velocity), and its review:
-- NULL (none needed), 'pending' (held before delivery), 'approved', 'rejected'.
ALTER TABLE orders ADD COLUMN risk_score integer;
ALTER TABLE orders ADD COLUMN risk_reasons jsonb;
ALTER TABLE orders ADD COLUMN device_id text;
ALTER TABLE orders ADD COLUMN wallet_address text;
ALTER TABLE orders ADD COLUMN risk_review text CHECK (risk_review IN ('pending', 'approved', 'rejected'));
ALTER TABLE orders ADD COLUMN risk_reviewed_by bigint REFERENCES accounts(id);

-- Velocity: a subject's orders in the last hour.
CREATE INDEX orders_contact_created_idx ON orders (contact, created_at) WHERE contact IS NOT NULL;
CREATE INDEX orders_client_created_idx ON orders (client_address, created_at) WHERE client_address IS NOT NULL;
CREATE INDEX orders_device_created_idx ON orders (device_id, created_at) WHERE device_id IS NOT NULL;
CREATE INDEX orders_wallet_created_idx ON orders (wallet_address, created_at) WHERE wallet_address IS NOT NULL;
-- The review queue of a shop.
CREATE INDEX orders_review_pending_idx ON orders (shop_id, created_at) WHERE risk_review = 'pending';
