-- A key row is checked against its batch once instead of against its shop, its product and its
-- batch separately (issue 21, bench:import). Each foreign key of keys is a row-level trigger
-- that runs one probe of the parent (SELECT ... FOR KEY SHARE) per inserted key: three per key,
-- measured with EXPLAIN (ANALYZE) on a 1,000-key chunk of an import at about 40% of the
-- INSERT's time, more than the five indexes together.
--
-- A key's shop and product are its batch's (an import creates the batch for one shop's product
-- and writes every key with them; batch_release_keys already raised on a key of another
-- product). One foreign key (batch_id, shop_id, product_id) -> batches (id, shop_id, product_id)
-- checks the batch and states that invariant in the schema; the shop and the product still
-- exist because the batch's own foreign keys (batches.shop_id, batches.product_id) hold them,
-- so nothing that was refused before is accepted now, and a key whose shop or product differs
-- from its batch's is refused where it was not. Neither column changes after the insert (no
-- UPDATE of keys sets them), so the sale path's updates never fire this check.
CREATE UNIQUE INDEX batches_id_shop_product_key ON batches (id, shop_id, product_id);
ALTER TABLE keys ADD CONSTRAINT keys_batch_shop_product_fkey
  FOREIGN KEY (batch_id, shop_id, product_id) REFERENCES batches (id, shop_id, product_id);
ALTER TABLE keys DROP CONSTRAINT keys_batch_id_fkey, DROP CONSTRAINT keys_shop_id_fkey, DROP CONSTRAINT keys_product_id_fkey;
