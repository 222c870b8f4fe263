-- product_stock_add: its current definition (last written by migration 0105_core_product_stock.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Adds one statement's net changes ('a' available, 'n' pending, 'l' allocated to listings,
-- migration 1160); ordered by product so concurrent statements lock rows in the same order.
CREATE OR REPLACE FUNCTION product_stock_add(p_changes jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO product_stock AS s (product_id, available, pending, allocated)
  SELECT (c->>'p')::bigint, (c->>'a')::bigint, (c->>'n')::bigint, coalesce((c->>'l')::bigint, 0)
  FROM jsonb_array_elements(p_changes) c
  ORDER BY (c->>'p')::bigint
  ON CONFLICT (product_id) DO UPDATE SET available = s.available + EXCLUDED.available, pending = s.pending + EXCLUDED.pending,
    allocated = s.allocated + EXCLUDED.allocated
$$;
