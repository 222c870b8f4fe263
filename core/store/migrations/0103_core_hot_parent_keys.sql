-- Foreign keys from the sale's hot child rows to their hot parent rows are dropped: orders ->
-- shops and products, entitlements -> shops, products and batches. PostgreSQL checks a foreign
-- key by taking FOR KEY SHARE on the parent row, so every concurrent checkout locked the same
-- product and shop rows and every fulfilment the same batch row; concurrent share lockers turn
-- a row's lock into a MultiXact, rebuilt with one more member for each new locker (measured:
-- about 5 MultiXacts and 20 members created per order under bench:sale, each a WAL record, an
-- SLRU write and a rewrite of the parent row's lock word).
--
-- Integrity stays where it was decided: an order is inserted by SELECTing its product
-- (checkout reads shop_id and price from that row, so both exist), and an entitlement copies
-- shop, product and batch from the key it is created for, whose own foreign keys stand. Shops,
-- products and batches are never deleted. The foreign keys to rows the same statement has
-- just locked itself (entitlements -> keys and orders, payments -> orders) cost no MultiXact
-- and stay.
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_shop_id_fkey;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_product_id_fkey;
ALTER TABLE entitlements DROP CONSTRAINT IF EXISTS entitlements_shop_id_fkey;
ALTER TABLE entitlements DROP CONSTRAINT IF EXISTS entitlements_product_id_fkey;
ALTER TABLE entitlements DROP CONSTRAINT IF EXISTS entitlements_batch_id_fkey;
