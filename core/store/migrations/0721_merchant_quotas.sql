-- Self-service merchants get quotas until the platform raises them (issue 14: the merchant role
-- is self-assignable at sign-up and was unlimited, and the operator pays the gas of every batch
-- anchor). A merchant without a row here has the defaults of core/config.ts (MERCHANT_*); an
-- admin's raise writes a row (audited). api/services/shops/merchantQuotas.ts enforces them.
CREATE TABLE merchant_quotas (
  account_id           bigint PRIMARY KEY REFERENCES accounts(id),
  shops_max            integer NOT NULL CHECK (shops_max >= 0),
  imports_per_day_max  integer NOT NULL CHECK (imports_per_day_max >= 0),
  keys_per_day_max     integer NOT NULL CHECK (keys_per_day_max >= 0),
  raised_by            bigint NOT NULL REFERENCES accounts(id),
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Imports of one owner's shops in the last day (the per-day quotas).
CREATE INDEX imports_shop_created_idx ON imports (shop_id, created_at);
