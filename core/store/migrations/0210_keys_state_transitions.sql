-- One owner per state machine: the moves an entitlement's states (state, issue_state,
-- redeem_state) and a batch's anchor_state may make, and triggers that refuse any other move.
-- The CHECK constraints of 0100/0101 only say which states exist; these say which changes are
-- allowed. The same pairs are the named transitions of core/store/entitlementStates.ts and
-- core/store/batchStates.ts, which every writer composes its UPDATEs from;
-- test/store/stateTransitions.test.ts fails when this table and those modules disagree, and
-- tries every move not listed. docs/states.md draws the machines.

-- machine is 'table.column'; a NULL state is the column being NULL (redeem_state before a
-- reveal). Staying in the same state is not a transition and is always allowed.
CREATE TABLE state_transitions (
  machine    text NOT NULL,
  from_state text,
  to_state   text,
  CONSTRAINT state_transitions_moves CHECK (from_state IS DISTINCT FROM to_state)
);
CREATE UNIQUE INDEX state_transitions_key ON state_transitions (machine, coalesce(from_state, ''), coalesce(to_state, ''));

INSERT INTO state_transitions (machine, from_state, to_state) VALUES
  -- reveal; revoke
  ('entitlements.state', 'sealed', 'redeemed'),
  ('entitlements.state', 'sealed', 'revoked'),
  ('entitlements.state', 'redeemed', 'revoked'),
  -- submit; include; confirm; requeue
  ('entitlements.issue_state', 'pending', 'submitted'),
  ('entitlements.issue_state', 'pending', 'included'),
  ('entitlements.issue_state', 'submitted', 'included'),
  ('entitlements.issue_state', 'pending', 'confirmed'),
  ('entitlements.issue_state', 'submitted', 'confirmed'),
  ('entitlements.issue_state', 'included', 'confirmed'),
  ('entitlements.issue_state', 'submitted', 'pending'),
  ('entitlements.issue_state', 'included', 'pending'),
  -- queue; submit; include; confirm; requeue; drop
  ('entitlements.redeem_state', NULL, 'pending'),
  ('entitlements.redeem_state', 'pending', 'submitted'),
  ('entitlements.redeem_state', 'pending', 'included'),
  ('entitlements.redeem_state', 'submitted', 'included'),
  ('entitlements.redeem_state', NULL, 'confirmed'),
  ('entitlements.redeem_state', 'pending', 'confirmed'),
  ('entitlements.redeem_state', 'submitted', 'confirmed'),
  ('entitlements.redeem_state', 'included', 'confirmed'),
  ('entitlements.redeem_state', 'submitted', 'pending'),
  ('entitlements.redeem_state', 'pending', NULL),
  -- submit; include; confirm; requeue
  ('batches.anchor_state', 'pending', 'submitted'),
  ('batches.anchor_state', 'pending', 'included'),
  ('batches.anchor_state', 'submitted', 'included'),
  ('batches.anchor_state', 'pending', 'confirmed'),
  ('batches.anchor_state', 'submitted', 'confirmed'),
  ('batches.anchor_state', 'included', 'confirmed'),
  ('batches.anchor_state', 'submitted', 'pending'),
  ('batches.anchor_state', 'included', 'pending');

-- Raises check_violation naming the constraint <table>_<column>_transition, so callers and
-- tests can tell a refused move from any other error without reading the message.
CREATE FUNCTION refuse_state_transition(p_machine text, p_id bigint, p_from text, p_to text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% of row % may not move from % to %', p_machine, p_id, coalesce(p_from, 'NULL'), coalesce(p_to, 'NULL')
    USING ERRCODE = 'check_violation',
          CONSTRAINT = replace(p_machine, '.', '_') || '_transition',
          HINT = 'The allowed moves are the rows of state_transitions (docs/states.md).';
END $$;

-- The triggers receive the allowed moves as their arguments ('machine from -> to', NULL
-- spelled NULL), copied from state_transitions by install_state_transition_triggers: a lookup
-- in the table from each row's trigger went through the SQL executor three times per row and
-- cost three times the UPDATE itself (146 ms of trigger time for a 250-row issuance update
-- taking 35 ms without it, on a loaded machine); `= ANY (TG_ARGV)` is evaluated inside the
-- function: 1.4 ms for the same 250 rows once the function is compiled (once per connection).
CREATE FUNCTION entitlements_check_state_transitions() RETURNS trigger
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

CREATE FUNCTION batches_check_state_transitions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.anchor_state IS DISTINCT FROM NEW.anchor_state
     AND NOT ('batches.anchor_state ' || coalesce(OLD.anchor_state, 'NULL') || ' -> ' || coalesce(NEW.anchor_state, 'NULL')) = ANY (TG_ARGV) THEN
    PERFORM refuse_state_transition('batches.anchor_state', NEW.id, OLD.anchor_state, NEW.anchor_state);
  END IF;
  RETURN NEW;
END $$;

-- (Re)creates both triggers with the moves state_transitions lists now. A later migration that
-- changes the table calls it again. The WHEN clauses keep the functions off the rows whose
-- states an UPDATE leaves as they are (token ids, owners, the indexer's idempotent repeats).
CREATE FUNCTION install_state_transition_triggers() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_entitlement_moves text;
  v_batch_moves text;
BEGIN
  SELECT string_agg(quote_literal(machine || ' ' || coalesce(from_state, 'NULL') || ' -> ' || coalesce(to_state, 'NULL')), ', ')
    INTO v_entitlement_moves FROM state_transitions WHERE machine LIKE 'entitlements.%';
  SELECT string_agg(quote_literal(machine || ' ' || coalesce(from_state, 'NULL') || ' -> ' || coalesce(to_state, 'NULL')), ', ')
    INTO v_batch_moves FROM state_transitions WHERE machine LIKE 'batches.%';
  DROP TRIGGER IF EXISTS entitlements_state_transitions ON entitlements;
  EXECUTE format(
    'CREATE TRIGGER entitlements_state_transitions BEFORE UPDATE OF state, issue_state, redeem_state ON entitlements
       FOR EACH ROW
       WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.issue_state IS DISTINCT FROM NEW.issue_state
             OR OLD.redeem_state IS DISTINCT FROM NEW.redeem_state)
       EXECUTE FUNCTION entitlements_check_state_transitions(%s)', v_entitlement_moves);
  DROP TRIGGER IF EXISTS batches_state_transitions ON batches;
  EXECUTE format(
    'CREATE TRIGGER batches_state_transitions BEFORE UPDATE OF anchor_state ON batches
       FOR EACH ROW
       WHEN (OLD.anchor_state IS DISTINCT FROM NEW.anchor_state)
       EXECUTE FUNCTION batches_check_state_transitions(%s)', v_batch_moves);
END $$;

SELECT install_state_transition_triggers();
