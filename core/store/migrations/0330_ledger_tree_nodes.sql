-- The Merkle log's perfect subtrees (api/ledger/treeNodes.ts): node (level, idx) is RFC 9162's
-- MTH over the leaves [idx·2^level, (idx+1)·2^level), stored once its last leaf is chained, so
-- roots and proofs read O(log n) rows instead of the whole log (they read every leaf before:
-- 320 MB at ten million entries, and a cap beyond it). Levels from 4 (16 leaves) up; smaller
-- subtrees are computed from their leaves. Written by the hasher in the transaction that chains
-- the leaves; a log chained before this table existed is caught up by the hasher pass by pass.
-- Append-only like the chain it summarises.
CREATE TABLE ledger_tree_nodes (
  level  smallint NOT NULL,
  idx    bigint NOT NULL,
  hash   bytea NOT NULL,
  PRIMARY KEY (level, idx),
  CONSTRAINT ledger_tree_nodes_level CHECK (level BETWEEN 4 AND 62),
  CONSTRAINT ledger_tree_nodes_idx CHECK (idx >= 0),
  CONSTRAINT ledger_tree_nodes_hash_size CHECK (octet_length(hash) = 32)
);

CREATE TRIGGER ledger_tree_nodes_append_only BEFORE UPDATE OR DELETE ON ledger_tree_nodes
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_tree_nodes_no_truncate BEFORE TRUNCATE ON ledger_tree_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
