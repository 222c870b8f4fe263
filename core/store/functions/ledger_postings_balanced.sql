-- ledger_postings_balanced: its current definition (last written by migration 0300_ledger.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Postings balance: within each INSERT statement, every transaction's postings sum to zero
-- per currency. A transaction's postings can therefore only be added in balanced groups, so
-- the sum over all of them is zero too. One check per statement, not per row: it is cheap
-- enough for batches of thousands.
CREATE OR REPLACE FUNCTION ledger_postings_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  broken bigint;
BEGIN
  SELECT tx_id INTO broken FROM new_postings GROUP BY tx_id, currency HAVING sum(amount_minor) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % does not balance', broken USING ERRCODE = 'check_violation';
  END IF;
  -- The foreign key, once per distinct account: the account exists, in the posting's currency.
  SELECT p.account_id INTO broken FROM (SELECT DISTINCT account_id, currency FROM new_postings) p
  WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = p.account_id AND a.currency = p.currency) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger posting names account %, which does not exist in that currency', broken
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
