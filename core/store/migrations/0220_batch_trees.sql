-- A batch's Merkle tree stored once, instead of a proof in every key row. `nodes` is the whole
-- tree in OpenZeppelin's array layout (core/keys/batchMerkle.ts: root at node 0, children of i
-- at 2i+1 and 2i+2, leaf k of the import at node 2n-2-k), 32 bytes a node, so a key's proof is
-- the siblings on its path, read by key_proof() at their offsets. STORAGE EXTERNAL keeps the
-- value uncompressed out of line, so each substring reads only the TOAST chunk holding its
-- node: a proof costs O(log n) chunk reads whatever the batch's size. A proof per key was 17
-- nodes (600 bytes, 1.3 kB as COPY text) written in the import and rewritten with every row
-- the anchor and each sale update (docs/costs.md, "Key imports").
-- Written with the batch's root, in the import's last transaction; never changed.
CREATE TABLE batch_trees (
  batch_id  bigint PRIMARY KEY REFERENCES batches(id) ON DELETE CASCADE,
  nodes     bytea NOT NULL,
  CONSTRAINT batch_trees_whole_nodes CHECK (octet_length(nodes) > 0 AND octet_length(nodes) % 32 = 0 AND (octet_length(nodes) / 32) % 2 = 1)
);
ALTER TABLE batch_trees ALTER COLUMN nodes SET STORAGE EXTERNAL;

-- Keys imported from now on keep no proof of their own (NULL): readers take
-- coalesce(proof, key_proof(batch_id, leaf_index)), so rows written before keep theirs.
ALTER TABLE keys ALTER COLUMN proof DROP NOT NULL;

-- The proof of leaf p_leaf_index (import order) of batch p_batch_id from its stored tree:
-- siblings from the leaf up to the root, as batchMerkle.ts proofOf; NULL when the batch has no
-- stored tree or the leaf is outside it.
CREATE FUNCTION key_proof(p_batch_id bigint, p_leaf_index integer) RETURNS bytea[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_node_count bigint;
  v_index bigint;
  v_siblings bigint[] := '{}';
BEGIN
  -- octet_length of an out-of-line value reads its TOAST pointer, not the value.
  SELECT octet_length(nodes) / 32 INTO v_node_count FROM batch_trees WHERE batch_id = p_batch_id;
  IF v_node_count IS NULL OR p_leaf_index IS NULL OR p_leaf_index < 0 OR p_leaf_index >= (v_node_count + 1) / 2 THEN
    RETURN NULL;
  END IF;
  v_index := v_node_count - 1 - p_leaf_index;
  WHILE v_index > 0 LOOP
    v_siblings := v_siblings || CASE WHEN v_index % 2 = 1 THEN v_index + 1 ELSE v_index - 1 END;
    v_index := (v_index - 1) / 2;
  END LOOP;
  RETURN (
    SELECT coalesce(array_agg(substring(t.nodes FROM (s.sibling * 32 + 1)::integer FOR 32) ORDER BY s.level), '{}')
    FROM batch_trees t, unnest(v_siblings) WITH ORDINALITY AS s(sibling, level)
    WHERE t.batch_id = p_batch_id
  );
END $$;
