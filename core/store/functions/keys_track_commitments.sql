-- keys_track_commitments: its current definition (last written by migration 0201_keys_commitment_lookup.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION keys_track_commitments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO key_commitments (commitment, batch_id, leaf_index)
    SELECT commitment, batch_id, leaf_index FROM new_keys ORDER BY commitment
    ON CONFLICT (commitment) DO NOTHING;
  ELSE
    DELETE FROM key_commitments c USING old_keys o
    WHERE c.commitment = o.commitment AND c.batch_id = o.batch_id AND c.leaf_index = o.leaf_index;
  END IF;
  RETURN NULL;
END
$$;
