-- docking_restock_check: its current definition (last written by migration 1160_docking_restock.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- The trigger on product_stock (a row whose available count fell): a listing with an enabled
-- restock rule tops its allocation up in the same transaction as the sale that lowered it. The
-- row stays locked to the commit, so the sales of one listing decide their restocks one at a
-- time: of several parallel sales crossing the threshold, only the first sees the allocation
-- below it, and the next ones see it restocked. Every other product costs one index probe.
CREATE OR REPLACE FUNCTION docking_restock_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM docking_restock(NEW.product_id, 'threshold');
  RETURN NULL;
END
$$;
