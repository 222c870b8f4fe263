-- ledger_account_ref: its current definition (last written by migration 0301_ledger_post.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION ledger_account_ref(p_ref jsonb, p_currency text) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_ref ? 'a' THEN (SELECT id FROM ledger_accounts WHERE id = (p_ref->>'a')::bigint)
         ELSE (SELECT id FROM ledger_accounts
               WHERE owner_type = p_ref->>'o' AND owner_id = (p_ref->>'i')::bigint
                 AND purpose = p_ref->>'u' AND currency = coalesce(p_ref->>'c', p_currency)) END
$$;
