-- ledger_holds_guard: its current definition (last written by migration 0300_ledger.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- A hold may only leave `pending`, once, for a final state with its resolving transaction;
-- nothing else on it ever changes, and it is never deleted.
CREATE OR REPLACE FUNCTION ledger_holds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'ledger holds are never deleted' USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD.state <> 'pending' OR NEW.state = 'pending'
     OR (NEW.id, NEW.tx_id, NEW.holding_account_id, NEW.post_account_id, NEW.void_account_id,
         NEW.amount_minor, NEW.currency, NEW.reference_type, NEW.reference_id, NEW.expires_at,
         NEW.expiry_action, NEW.created_at)
        IS DISTINCT FROM
        (OLD.id, OLD.tx_id, OLD.holding_account_id, OLD.post_account_id, OLD.void_account_id,
         OLD.amount_minor, OLD.currency, OLD.reference_type, OLD.reference_id, OLD.expires_at,
         OLD.expiry_action, OLD.created_at) THEN
    RAISE EXCEPTION 'ledger hold % may only move once from pending to a final state', OLD.id
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
