-- chain_token: its current definition (last written by migration 0402_chain_tokens_view.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- One token by id, through the (chain_id, first_token_id) index: the issuance with the greatest
-- first id not above it, if the token falls inside its run.
CREATE OR REPLACE FUNCTION chain_token(p_chain_id bigint, p_token_id numeric)
RETURNS TABLE (chain_id bigint, block_number bigint, log_index integer, transaction_hash text, token_id numeric, batch_id numeric, leaf_index bigint)
LANGUAGE sql STABLE AS $$
  SELECT i.chain_id, i.block_number, i.log_index, i.transaction_hash, p_token_id, i.batch_id,
         i.leaf_indexes[(p_token_id - i.first_token_id + 1)::int]
  FROM (SELECT * FROM chain_issuances c
        WHERE c.chain_id = p_chain_id AND c.first_token_id <= p_token_id
        ORDER BY c.first_token_id DESC, c.block_number DESC LIMIT 1) i
  WHERE p_token_id < i.first_token_id + i.token_count
$$;
