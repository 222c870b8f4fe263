-- refuse_state_transition: its current definition (last written by migration 0210_keys_state_transitions.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION refuse_state_transition(p_machine text, p_id bigint, p_from text, p_to text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% of row % may not move from % to %', p_machine, p_id, coalesce(p_from, 'NULL'), coalesce(p_to, 'NULL')
    USING ERRCODE = 'check_violation',
          CONSTRAINT = replace(p_machine, '.', '_') || '_transition',
          HINT = 'The allowed moves are the rows of state_transitions (docs/states.md).';
END $$;
