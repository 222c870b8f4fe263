-- keys_leaf_hash_key is dropped: nothing looks keys up by leaf hash (certificates, verification
-- and reconciliation reach a key by id, by (batch_id, leaf_index) or by (shop_id, dedupe_hash)),
-- and its uniqueness is already implied: the leaf hashes (chain id, registry, shop, batch, leaf
-- index, commitment), and (batch_id, leaf_index) is unique (keys_batch_leaf_key). Every sale
-- updates its key twice and neither update can be HOT (status is in keys_available_idx's
-- predicate), so each wrote a new entry at a random place in this index: measured as part of
-- the 3.4 kB of WAL the checkout and fulfilment statements wrote per order.
DROP INDEX IF EXISTS keys_leaf_hash_key;
