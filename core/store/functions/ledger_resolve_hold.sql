-- ledger_resolve_hold: its current definition (last written by migration 0301_ledger_post.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Resolves a hold exactly once: p_action is 'post', 'void' or 'expire' (expire applies the
-- hold's expiry_action and is only allowed once expires_at has passed; post is refused after
-- it). Returns { "s": created | exists | not_found | invalid_state | expired | not_expired,
-- "tx": resolving journal id, "state": the hold's state }.
CREATE OR REPLACE FUNCTION ledger_resolve_hold(p_hold_id bigint, p_action text, p_now timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  h        ledger_holds%ROWTYPE;
  v_final  text;
  v_target bigint;
  v_result jsonb;
BEGIN
  IF p_action NOT IN ('post', 'void', 'expire') THEN
    RAISE EXCEPTION 'unknown hold action %', p_action USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO h FROM ledger_holds WHERE id = p_hold_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('s', 'not_found');
  END IF;
  v_final := CASE p_action WHEN 'post' THEN 'posted' WHEN 'void' THEN 'voided' ELSE 'expired' END;
  IF h.state <> 'pending' THEN
    RETURN jsonb_build_object('s', CASE WHEN h.state = v_final THEN 'exists' ELSE 'invalid_state' END,
                              'tx', h.resolved_tx_id, 'state', h.state);
  END IF;
  IF p_action = 'post' AND h.expires_at IS NOT NULL AND h.expires_at <= p_now THEN
    RETURN jsonb_build_object('s', 'expired', 'state', h.state);
  END IF;
  IF p_action = 'expire' AND (h.expires_at IS NULL OR h.expires_at > p_now) THEN
    RETURN jsonb_build_object('s', 'not_expired', 'state', h.state);
  END IF;
  v_target := CASE
    WHEN p_action = 'post' OR (p_action = 'expire' AND h.expiry_action = 'post') THEN h.post_account_id
    ELSE h.void_account_id END;
  v_result := ledger_post_batch(jsonb_build_array(jsonb_build_object(
    'k', 'hold:' || h.id || ':resolve',
    'h', encode(sha256(convert_to('hold-resolve:' || h.id || ':' || v_final || ':' || v_target, 'UTF8')), 'hex'),
    'kind', 'hold_' || v_final,
    'rt', 'hold', 'rid', h.id::text,
    'm', jsonb_build_object('holdReferenceType', h.reference_type, 'holdReferenceId', h.reference_id),
    'p', jsonb_build_array(
      jsonb_build_object('a', h.holding_account_id, 'c', h.currency, 'x', (-h.amount_minor)::text),
      jsonb_build_object('a', v_target, 'c', h.currency, 'x', h.amount_minor::text)))))->0;
  IF v_result->>'s' <> 'created' THEN
    RAISE EXCEPTION 'resolving hold % failed: %', h.id, v_result USING ERRCODE = 'internal_error';
  END IF;
  UPDATE ledger_holds SET state = v_final, resolved_tx_id = (v_result->>'tx')::bigint, resolved_at = p_now
  WHERE id = h.id;
  RETURN jsonb_build_object('s', 'created', 'tx', (v_result->>'tx')::bigint, 'state', v_final);
END $$;
