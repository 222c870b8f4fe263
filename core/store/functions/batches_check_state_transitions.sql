-- batches_check_state_transitions: its current definition (last written by migration 0210_keys_state_transitions.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION batches_check_state_transitions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.anchor_state IS DISTINCT FROM NEW.anchor_state
     AND NOT ('batches.anchor_state ' || coalesce(OLD.anchor_state, 'NULL') || ' -> ' || coalesce(NEW.anchor_state, 'NULL')) = ANY (TG_ARGV) THEN
    PERFORM refuse_state_transition('batches.anchor_state', NEW.id, OLD.anchor_state, NEW.anchor_state);
  END IF;
  RETURN NEW;
END $$;
