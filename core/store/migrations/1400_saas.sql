-- Self-service merchants (issue 20, items 1-3; docs/saas.md): email confirmation, the shop's
-- profile and custom domain, plans with their fee rate and limits, KYC submissions with
-- encrypted documents and their review history, and the limits of each verification level.

-- 1. Email confirmation: a single-use token (only its SHA-256 stored) that expires.
ALTER TABLE accounts ADD COLUMN email_confirmed_at timestamptz;
CREATE TABLE email_confirmations (
  token_hash  bytea PRIMARY KEY,
  account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_confirmations_account_idx ON email_confirmations (account_id);

-- 2. Plans. fee_bps NULL: the platform's PLATFORM_FEE_BPS (the free plan's 500 by default), so a
-- deployment that sets that variable keeps its rate for shops on the free plan. Limits are
-- counts (keys_max: keys in stock, available + pending, over the shop's products). An admin
-- edits them (audited); a shop's plan applies from its next sale (orders.platform_fee_bps).
CREATE TABLE plans (
  code          text PRIMARY KEY CONSTRAINT plans_code_format CHECK (code ~ '^[a-z][a-z0-9_-]{1,31}$'),
  name          text NOT NULL,
  fee_bps       integer CONSTRAINT plans_fee_bps_range CHECK (fee_bps BETWEEN 0 AND 10000),
  products_max  integer NOT NULL CHECK (products_max >= 0),
  keys_max      integer NOT NULL CHECK (keys_max >= 0),
  api_keys_max  integer NOT NULL CHECK (api_keys_max >= 0),
  webhooks_max  integer NOT NULL CHECK (webhooks_max >= 0),
  substores_max integer NOT NULL CHECK (substores_max >= 0),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO plans (code, name, fee_bps, products_max, keys_max, api_keys_max, webhooks_max, substores_max) VALUES
  ('free', 'Free', NULL, 10, 1000, 1, 1, 2),
  ('pro', 'Pro', 200, 500, 1000000, 20, 20, 200);

-- 3. The shop's profile, plan, verification level and custom domain.
ALTER TABLE shops
  ADD COLUMN plan_code text NOT NULL DEFAULT 'free' REFERENCES plans(code),
  ADD COLUMN verification_level text NOT NULL DEFAULT 'unverified'
    CONSTRAINT shops_verification_level_known CHECK (verification_level IN ('unverified', 'verified', 'business')),
  ADD COLUMN colour text CONSTRAINT shops_colour_format CHECK (colour ~ '^#[0-9a-f]{6}$'),
  ADD COLUMN description_zh text NOT NULL DEFAULT '',
  ADD COLUMN description_en text NOT NULL DEFAULT '',
  ADD COLUMN support_contact text,
  ADD COLUMN logo bytea,
  ADD COLUMN logo_type text CONSTRAINT shops_logo_type_known CHECK (logo_type IN ('image/png', 'image/jpeg')),
  ADD COLUMN custom_domain text CONSTRAINT shops_custom_domain_lower CHECK (custom_domain = lower(custom_domain)),
  ADD COLUMN domain_token text,
  ADD COLUMN domain_verified_at timestamptz;
-- One shop per host name, proved or not (a second claim is refused, domain_taken).
CREATE UNIQUE INDEX shops_custom_domain_key ON shops (custom_domain) WHERE custom_domain IS NOT NULL;

-- 4. The fee rate of a sale is fixed when its order is created: the shop's plan's at that moment
-- (or the platform default when the plan has none), so a plan change takes effect from the next
-- sale and a refund gives back the order's own fee (the refund's share reads the sale's entry).
ALTER TABLE orders ADD COLUMN platform_fee_bps integer CONSTRAINT orders_platform_fee_bps_range CHECK (platform_fee_bps BETWEEN 0 AND 10000);

CREATE OR REPLACE FUNCTION orders_fix_platform_fee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.platform_fee_bps IS NULL THEN
    SELECT p.fee_bps INTO NEW.platform_fee_bps FROM shops s JOIN plans p ON p.code = s.plan_code WHERE s.id = NEW.shop_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER orders_fix_platform_fee BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_fix_platform_fee();

-- 5. KYC. The identity and business details and each document are AES-256-GCM under the shop's
-- data key (api/keys/envelope.ts), bound to their row by the associated data. One open
-- submission per shop; decisions are kept as history (kyc_decisions), never overwritten.
CREATE TABLE kyc_reviewers (
  account_id  bigint PRIMARY KEY REFERENCES accounts(id),
  granted_by  bigint NOT NULL REFERENCES accounts(id),
  granted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE kyc_submissions (
  id                 bigserial PRIMARY KEY,
  shop_id            bigint NOT NULL REFERENCES shops(id),
  submitted_by       bigint NOT NULL REFERENCES accounts(id),
  level_requested    text NOT NULL CONSTRAINT kyc_level_known CHECK (level_requested IN ('verified', 'business')),
  details_encrypted  bytea NOT NULL,
  status             text NOT NULL DEFAULT 'pending'
    CONSTRAINT kyc_status_known CHECK (status IN ('pending', 'approved', 'rejected', 'more_requested')),
  created_at         timestamptz NOT NULL DEFAULT now(),
  decided_at         timestamptz
);
CREATE UNIQUE INDEX kyc_submissions_one_open ON kyc_submissions (shop_id) WHERE status IN ('pending', 'more_requested');
CREATE INDEX kyc_submissions_queue_idx ON kyc_submissions (status, id);
CREATE TABLE kyc_documents (
  id                 bigserial PRIMARY KEY,
  submission_id      bigint NOT NULL REFERENCES kyc_submissions(id),
  kind               text NOT NULL CONSTRAINT kyc_document_kind_known CHECK (kind IN ('identity', 'business_licence', 'address_proof', 'other')),
  content_type       text NOT NULL CONSTRAINT kyc_document_type_known CHECK (content_type IN ('image/png', 'image/jpeg', 'application/pdf')),
  size_bytes         integer NOT NULL,
  content_encrypted  bytea NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kyc_documents_submission_idx ON kyc_documents (submission_id);
CREATE TABLE kyc_decisions (
  id             bigserial PRIMARY KEY,
  submission_id  bigint NOT NULL REFERENCES kyc_submissions(id),
  reviewer_id    bigint NOT NULL REFERENCES accounts(id),
  decision       text NOT NULL CONSTRAINT kyc_decision_known CHECK (decision IN ('approve', 'reject', 'request_more')),
  reason         text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kyc_decisions_submission_idx ON kyc_decisions (submission_id, id);

-- 6. Limits of each verification level (admin-editable later; amounts per currency in minor
-- units). A currency without a row for a level is not limited by amount at that level.
CREATE TABLE verification_limits (
  level               text PRIMARY KEY CONSTRAINT verification_limits_level_known CHECK (level IN ('unverified', 'verified', 'business')),
  payouts_per_day_max integer NOT NULL CHECK (payouts_per_day_max >= 0),
  keys_in_stock_max   integer NOT NULL CHECK (keys_in_stock_max >= 0)
);
INSERT INTO verification_limits VALUES ('unverified', 1, 100), ('verified', 5, 100000), ('business', 50, 10000000);
CREATE TABLE verification_money_limits (
  level                 text NOT NULL REFERENCES verification_limits(level),
  currency              text NOT NULL,
  daily_sales_max_minor bigint NOT NULL CHECK (daily_sales_max_minor >= 0),
  payout_max_minor      bigint NOT NULL CHECK (payout_max_minor >= 0),
  PRIMARY KEY (level, currency)
);
INSERT INTO verification_money_limits VALUES
  ('unverified', 'CNY', 50000, 20000), ('verified', 'CNY', 5000000, 2000000), ('business', 'CNY', 500000000, 200000000),
  ('unverified', 'USD', 7000, 3000), ('verified', 'USD', 700000, 300000), ('business', 'USD', 70000000, 30000000),
  -- ETH in wei: the ledger bounds one posting to 10^15 minor units (api/ledger), so these are small.
  ('unverified', 'ETH', 500000000000000, 200000000000000), ('verified', 'ETH', 1000000000000000, 1000000000000000),
  ('business', 'ETH', 1000000000000000, 1000000000000000);
