-- The indexer and the chain writer look up entitlements whose issuance or redemption is in
-- flight, on every indexed range and every chain sweep. Without an index each look-up read the
-- whole entitlements table, so its cost grew with every sale ever made (found with
-- pg_stat_statements under bench:sale: 10 ms per indexed range at 10,000 entitlements, most of
-- it PostgreSQL JIT-compiling the plan the table scan's estimate called for).
-- The rows in flight are a handful at any time, so these partial indexes hold them and the
-- dead versions vacuum has not yet removed, not the table's history; the updates that move a
-- row into these states were never HOT anyway (issue_state and redeem_state are in the
-- predicates of the pending indexes).

-- Orphaned inclusions (issue_state = 'included' AND issue_block <= final), reorg reverts
-- (IN ('submitted','included') AND issue_block > ancestor), crash settlement ('submitted').
CREATE INDEX entitlements_issue_in_flight_idx ON entitlements (issue_block) WHERE issue_state IN ('submitted', 'included');
-- Crash settlement of redemptions (api/chain/settleSubmitted.ts: redeem_state = 'submitted').
CREATE INDEX entitlements_redeem_submitted_idx ON entitlements (redeem_tx) WHERE redeem_state = 'submitted';

-- chain_tokens.batch_id is the on-chain uint64 (numeric); keys.batch_id is bigint. Joined on
-- the numeric, PostgreSQL casts every key's batch id and cannot use keys_batch_leaf_key, so
-- confirming a range's issuances scanned all unconfirmed entitlements once per issuance
-- (42 ms for 9 issuances at 5,000 entitlements, against 5 ms by the index). key_batch_id is the
-- same id as the platform stores it, NULL for ids above bigint that the platform cannot have
-- issued (a cast would fail on them and stop the indexer).
CREATE OR REPLACE VIEW chain_tokens AS
  SELECT i.chain_id, i.block_number, i.log_index, i.transaction_hash,
         i.first_token_id + (u.position - 1) AS token_id, i.batch_id, u.leaf_index,
         CASE WHEN i.batch_id <= 9223372036854775807 THEN i.batch_id::bigint END AS key_batch_id
  FROM chain_issuances i CROSS JOIN LATERAL unnest(i.leaf_indexes) WITH ORDINALITY AS u(leaf_index, position);
