-- ledger_accounts_guard: its current definition (last written by migration 0300_ledger.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- An account is never deleted and its identity (owner, purpose, currency) never changes: only
-- its materialised balance moves.
CREATE OR REPLACE FUNCTION ledger_accounts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (NEW.id, NEW.owner_type, NEW.owner_id, NEW.purpose, NEW.currency, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.owner_type, OLD.owner_id, OLD.purpose, OLD.currency, OLD.created_at) THEN
    RAISE EXCEPTION 'ledger accounts are never deleted and their identity never changes' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
