-- Tokens are derived from their issuance instead of stored one row each: token
-- first_token_id + i is leaf leaf_indexes[i + 1] of the issuance. Writing 50,000 token rows
-- cost about a seventh of the backfill (measured); the view and the look-up function answer
-- the same questions from chain_issuances, and a rollback has one table less to delete from.
DROP TABLE chain_tokens;

CREATE VIEW chain_tokens AS
  SELECT i.chain_id, i.block_number, i.log_index, i.transaction_hash,
         i.first_token_id + (u.position - 1) AS token_id, i.batch_id, u.leaf_index
  FROM chain_issuances i CROSS JOIN LATERAL unnest(i.leaf_indexes) WITH ORDINALITY AS u(leaf_index, position);

-- One token by id, through the (chain_id, first_token_id) index: the issuance with the greatest
-- first id not above it, if the token falls inside its run.
CREATE FUNCTION chain_token(p_chain_id bigint, p_token_id numeric)
RETURNS TABLE (chain_id bigint, block_number bigint, log_index integer, transaction_hash text, token_id numeric, batch_id numeric, leaf_index bigint)
LANGUAGE sql STABLE AS $$
  SELECT i.chain_id, i.block_number, i.log_index, i.transaction_hash, p_token_id, i.batch_id,
         i.leaf_indexes[(p_token_id - i.first_token_id + 1)::int]
  FROM (SELECT * FROM chain_issuances c
        WHERE c.chain_id = p_chain_id AND c.first_token_id <= p_token_id
        ORDER BY c.first_token_id DESC, c.block_number DESC LIMIT 1) i
  WHERE p_token_id < i.first_token_id + i.token_count
$$;
