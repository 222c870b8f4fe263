-- A product's stock, kept as counts instead of counted on every read.
--
-- The storefront's product list and product page (public, unauthenticated, the most requested
-- pages of a shop) counted the product's available keys and its pending keys on every request:
-- the available count walked keys_available_idx over every available key, and the pending count
-- had no index at all, so it read the whole keys table once per product. At 20,000 keys one
-- product list took 182 ms, 100 of them PostgreSQL JIT-compiling the plan its estimate called
-- for, and it grew with the stock: a shop with 100,000 keys per product would serve each page
-- view in seconds.
--
-- product_stock holds, per product, its keys in 'available' and in 'pending'. Statement-level
-- triggers on keys add each statement's net change (transition tables, so one upsert per
-- product per statement, not per key), which makes the counts exact in every transaction that
-- changes keys, whoever writes them (checkout, fulfilment, expiry, anchoring, imports).
-- Locking: a statement that changes a product's counts locks its product_stock row until it
-- commits, rows in product_id order. The statements that change keys' status lock their keys
-- first and take no lock after this one except within their own rows, so the order is always
-- keys, then product_stock (no cycle). A statement whose net change is zero for a product (a
-- fulfilment: reserved to sold) does not touch its row at all.
CREATE TABLE product_stock (
  product_id  bigint PRIMARY KEY,
  available   bigint NOT NULL DEFAULT 0,
  -- No CHECK (>= 0): PostgreSQL checks the row an upsert proposes to insert (a delta, often
  -- negative) before it resolves the conflict. test/keys/keyTriggers.test.ts compares the
  -- counts with a recount of keys through every way keys change.
  pending     bigint NOT NULL DEFAULT 0
);

-- Adds one statement's net changes; ordered by product so concurrent statements lock rows in
-- the same order.
CREATE FUNCTION product_stock_add(p_changes jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO product_stock AS s (product_id, available, pending)
  SELECT (c->>'p')::bigint, (c->>'a')::bigint, (c->>'n')::bigint
  FROM jsonb_array_elements(p_changes) c
  ORDER BY (c->>'p')::bigint
  ON CONFLICT (product_id) DO UPDATE SET available = s.available + EXCLUDED.available, pending = s.pending + EXCLUDED.pending
$$;

-- One function for the three events: each branch reads only the transition tables its event
-- has (plpgsql plans a statement when it first runs it).
CREATE FUNCTION keys_track_stock() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_changes jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', a, 'n', n)) INTO v_changes FROM (
      SELECT product_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'pending') AS n
      FROM new_keys GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', -a, 'n', -n)) INTO v_changes FROM (
      SELECT product_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'pending') AS n
      FROM old_keys GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0;
  ELSE
    SELECT jsonb_agg(jsonb_build_object('p', product_id, 'a', a, 'n', n)) INTO v_changes FROM (
      SELECT product_id, sum(a) AS a, sum(n) AS n FROM (
        SELECT product_id, (status = 'available')::int AS a, (status = 'pending')::int AS n FROM new_keys
        UNION ALL
        SELECT product_id, -(status = 'available')::int, -(status = 'pending')::int FROM old_keys
      ) rows GROUP BY product_id) d
    WHERE a <> 0 OR n <> 0;
  END IF;
  IF v_changes IS NOT NULL THEN
    PERFORM product_stock_add(v_changes);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER keys_stock_insert AFTER INSERT ON keys REFERENCING NEW TABLE AS new_keys
  FOR EACH STATEMENT EXECUTE FUNCTION keys_track_stock();
CREATE TRIGGER keys_stock_update AFTER UPDATE ON keys REFERENCING OLD TABLE AS old_keys NEW TABLE AS new_keys
  FOR EACH STATEMENT EXECUTE FUNCTION keys_track_stock();
CREATE TRIGGER keys_stock_delete AFTER DELETE ON keys REFERENCING OLD TABLE AS old_keys
  FOR EACH STATEMENT EXECUTE FUNCTION keys_track_stock();

-- The counts of the keys already stored. CREATE TRIGGER holds a lock that keeps every write to
-- keys waiting until this migration commits, so no change falls between the count and the
-- triggers.
INSERT INTO product_stock (product_id, available, pending)
SELECT product_id, count(*) FILTER (WHERE status = 'available'), count(*) FILTER (WHERE status = 'pending')
FROM keys GROUP BY product_id;
