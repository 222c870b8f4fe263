-- The public redemption oracle (GET /api/chain/oracle?commitment=) turns a key's commitment,
-- printed in its certificate, into its batch and leaf. keys has no index on commitment, so each
-- such request read the whole keys table: a public, unauthenticated request whose cost grew
-- with every key ever imported. An index on keys would cost the sale path instead: a sale
-- updates its key twice, never HOT (status is in keys_available_idx's predicate), so every index
-- on keys takes an entry per update.
--
-- key_commitments is written once per key and never updated: statement-level triggers on keys
-- copy each inserted key's commitment, batch and leaf, and remove them with the key (an import
-- that starts over deletes its keys), whoever writes keys. Commitments are salted hashes, so two
-- keys never share one; a duplicate (test data) keeps the first row.
CREATE TABLE key_commitments (
  commitment  bytea PRIMARY KEY,
  batch_id    bigint NOT NULL,
  leaf_index  integer NOT NULL
);

CREATE FUNCTION keys_track_commitments() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER keys_commitments_insert AFTER INSERT ON keys REFERENCING NEW TABLE AS new_keys
  FOR EACH STATEMENT EXECUTE FUNCTION keys_track_commitments();
CREATE TRIGGER keys_commitments_delete AFTER DELETE ON keys REFERENCING OLD TABLE AS old_keys
  FOR EACH STATEMENT EXECUTE FUNCTION keys_track_commitments();

-- The keys already stored (CREATE TRIGGER keeps writes to keys waiting until this commits).
INSERT INTO key_commitments (commitment, batch_id, leaf_index)
SELECT commitment, batch_id, leaf_index FROM keys ORDER BY id
ON CONFLICT (commitment) DO NOTHING;
