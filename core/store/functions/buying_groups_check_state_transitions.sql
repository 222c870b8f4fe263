-- buying_groups_check_state_transitions: its current definition (last written by migration 1240_group_buying.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION buying_groups_check_state_transitions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state IS DISTINCT FROM NEW.state AND (OLD.state, NEW.state) NOT IN (('open', 'filled'), ('open', 'expired')) THEN
    -- refuse_state_transition takes a bigint row id; a group's id is text, so the same refusal is raised here.
    RAISE EXCEPTION 'buying_groups.state of row % may not move from % to %', NEW.id, OLD.state, NEW.state
      USING ERRCODE = 'check_violation', CONSTRAINT = 'buying_groups_state_transition',
            HINT = 'A group moves only from open to filled or to expired (docs/groupbuy.md).';
  END IF;
  RETURN NEW;
END $$;
