-- Prices in several currencies (docs/currencies.md).
--
-- The platform's rates: how many CNY one major unit of a currency is worth (CNY itself is 1 and
-- has no row). One figure per currency, so every pair converts through the same two figures.
-- "manual": set by an admin (audited); "feed": fetched from FX_RATE_FEED_URL.
CREATE TABLE fx_rates (
  currency     text PRIMARY KEY CHECK (currency ~ '^[A-Z]{3,8}$' AND currency <> 'CNY'),
  cny_per_unit numeric(30, 12) NOT NULL CHECK (cny_per_unit > 0),
  source       text NOT NULL CHECK (source IN ('manual', 'feed')),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The currencies a shop's buyers may pay in besides each product's own (none by default: every
-- existing shop keeps charging in its products' currencies).
ALTER TABLE shops ADD COLUMN accepted_currencies text[] NOT NULL DEFAULT '{}';

-- An order charged in another currency than its product's records the conversion: the price in
-- the product's currency, and the pair's rate (major units charged per major unit of the price)
-- with both CNY rates in orders.pricing->'fx'. NULL on every order charged in its product's currency.
ALTER TABLE orders ADD COLUMN price_currency text;
ALTER TABLE orders ADD COLUMN price_amount_minor bigint;
ALTER TABLE orders ADD COLUMN fx_rate numeric(30, 12);
ALTER TABLE orders ADD CONSTRAINT orders_fx_recorded CHECK (
  (price_currency IS NULL AND price_amount_minor IS NULL AND fx_rate IS NULL)
  OR (price_currency IS NOT NULL AND price_amount_minor IS NOT NULL AND fx_rate > 0 AND price_currency <> currency));

-- The platform's FX account: a conversion debits the shop's account in one currency, credits the
-- FX account there, debits the FX account in the other currency and credits the shop there, so
-- each currency balances on its own and no account ever holds two. No floor: the platform's
-- position in a currency may be short. The list of purposes is extended, not rewritten, so a
-- purpose another migration added before this one stays allowed.
DO $$
DECLARE
  definition text := pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'ledger_accounts_purpose_known'));
BEGIN
  IF position('''fx''' IN definition) = 0 THEN
    EXECUTE 'ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_purpose_known';
    EXECUTE 'ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_purpose_known '
      || regexp_replace(definition, '\]', ', ''fx''::text]');
  END IF;
END $$;
