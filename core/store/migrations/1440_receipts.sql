-- Receipts and tax (issue 20, item 5; docs/saas.md, "Receipts and tax"): a tax rate per shop and
-- buyer country (ISO 3166-1 alpha-2), in basis points, inclusive or exclusive. Receipts show the
-- tax computed from it (api/services/receipts/tax.ts); what a buyer is charged is untouched.
CREATE TABLE shop_tax_rates (
  shop_id     bigint NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
  country     char(2) NOT NULL CONSTRAINT shop_tax_rates_country_format CHECK (country ~ '^[A-Z]{2}$'),
  rate_bps    integer NOT NULL CONSTRAINT shop_tax_rates_rate_range CHECK (rate_bps BETWEEN 0 AND 10000),
  inclusive   boolean NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, country)
);
