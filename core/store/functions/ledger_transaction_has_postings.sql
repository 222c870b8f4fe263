-- ledger_transaction_has_postings: its current definition (last written by migration 0300_ledger.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Every journal transaction has at least two postings by the time it commits.
CREATE OR REPLACE FUNCTION ledger_transaction_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM ledger_postings WHERE tx_id = NEW.id) < 2 THEN
    RAISE EXCEPTION 'ledger transaction % has fewer than two postings', NEW.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
