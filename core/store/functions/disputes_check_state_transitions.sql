-- disputes_check_state_transitions: its current definition (last written by migration 0920_disputes.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION disputes_check_state_transitions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- The moves of docs/disputes.md ("A dispute's life"); staying in a state is not a move.
  IF OLD.state IS DISTINCT FROM NEW.state AND (OLD.state, NEW.state) NOT IN
     (('open', 'resolved'), ('open', 'rejected'), ('open', 'escalated'), ('rejected', 'escalated'), ('escalated', 'resolved')) THEN
    PERFORM refuse_state_transition('disputes.state', NEW.id, OLD.state, NEW.state);
  END IF;
  RETURN NEW;
END $$;
