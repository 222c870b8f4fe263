-- entitlements_check_state_transitions: its current definition (last written by migration 0210_keys_state_transitions.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION entitlements_check_state_transitions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state IS DISTINCT FROM NEW.state
     AND NOT ('entitlements.state ' || coalesce(OLD.state, 'NULL') || ' -> ' || coalesce(NEW.state, 'NULL')) = ANY (TG_ARGV) THEN
    PERFORM refuse_state_transition('entitlements.state', NEW.id, OLD.state, NEW.state);
  END IF;
  IF OLD.issue_state IS DISTINCT FROM NEW.issue_state
     AND NOT ('entitlements.issue_state ' || coalesce(OLD.issue_state, 'NULL') || ' -> ' || coalesce(NEW.issue_state, 'NULL')) = ANY (TG_ARGV) THEN
    PERFORM refuse_state_transition('entitlements.issue_state', NEW.id, OLD.issue_state, NEW.issue_state);
  END IF;
  IF OLD.redeem_state IS DISTINCT FROM NEW.redeem_state
     AND NOT ('entitlements.redeem_state ' || coalesce(OLD.redeem_state, 'NULL') || ' -> ' || coalesce(NEW.redeem_state, 'NULL')) = ANY (TG_ARGV) THEN
    PERFORM refuse_state_transition('entitlements.redeem_state', NEW.id, OLD.redeem_state, NEW.redeem_state);
  END IF;
  RETURN NEW;
END $$;
