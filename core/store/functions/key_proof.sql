-- key_proof: its current definition (last written by migration 0220_batch_trees.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- The proof of a key from its batch's stored tree (batch_trees); see the migration for the layout.
CREATE OR REPLACE FUNCTION key_proof(p_batch_id bigint, p_leaf_index integer) RETURNS bytea[]
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
