-- install_state_transition_triggers: its current definition (last written by migration 0210_keys_state_transitions.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION install_state_transition_triggers() RETURNS void
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
