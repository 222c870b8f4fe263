-- The merchant's batch list and sales charts from counts kept as keys and orders change,
-- instead of counted on every request (issue 21, "costs that do not grow with history").
--
-- The batch list counted each listed batch's sold and available keys (two subqueries over
-- keys per batch, a page of 50 batches of 100,000 keys read millions of index entries); the
-- sales chart summed every fulfilled order of the window, which grows with the shop's sales.
--
-- batch_stock: per batch, its keys in 'available' and in 'sold'. sales_daily: per shop, UTC
-- day, product and currency, the fulfilled orders, their units and revenue. Both are kept the
-- way product_stock is (0105_core_product_stock.sql): statement-level triggers add each
-- statement's net change from its transition tables, one upsert per row key per statement,
-- rows locked in key order, so the counts are exact in every transaction whoever writes keys
-- or orders. A statement whose net change is zero (a fulfilment's keys: reserved to sold
-- touches 'sold' only; an update of an order that is not and was not fulfilled) touches no row.
-- test/store/merchantRollups.test.ts compares them with recounts after concurrent sales and refunds.
CREATE TABLE batch_stock (
  batch_id   bigint PRIMARY KEY,
  available  bigint NOT NULL DEFAULT 0,
  sold       bigint NOT NULL DEFAULT 0
);

CREATE FUNCTION keys_track_batch_stock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT batch_id, a, n FROM (
      SELECT batch_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'sold') AS n
      FROM new_keys GROUP BY batch_id) d
    WHERE a <> 0 OR n <> 0 ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT batch_id, -a, -n FROM (
      SELECT batch_id, count(*) FILTER (WHERE status = 'available') AS a, count(*) FILTER (WHERE status = 'sold') AS n
      FROM old_keys GROUP BY batch_id) d
    WHERE a <> 0 OR n <> 0 ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold;
  ELSE
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT batch_id, a, n FROM (
      SELECT batch_id, sum(a) AS a, sum(n) AS n FROM (
        SELECT batch_id, (status = 'available')::int AS a, (status = 'sold')::int AS n FROM new_keys
        UNION ALL
        SELECT batch_id, -(status = 'available')::int, -(status = 'sold')::int FROM old_keys
      ) r GROUP BY batch_id) d
    WHERE a <> 0 OR n <> 0 ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER keys_batch_stock_insert AFTER INSERT ON keys REFERENCING NEW TABLE AS new_keys
  FOR EACH STATEMENT EXECUTE FUNCTION keys_track_batch_stock();
CREATE TRIGGER keys_batch_stock_update AFTER UPDATE ON keys REFERENCING OLD TABLE AS old_keys NEW TABLE AS new_keys
  FOR EACH STATEMENT EXECUTE FUNCTION keys_track_batch_stock();
CREATE TRIGGER keys_batch_stock_delete AFTER DELETE ON keys REFERENCING OLD TABLE AS old_keys
  FOR EACH STATEMENT EXECUTE FUNCTION keys_track_batch_stock();

-- CREATE TRIGGER keeps every write to keys waiting until this migration commits, so no change
-- falls between these counts and the triggers.
INSERT INTO batch_stock (batch_id, available, sold)
SELECT batch_id, count(*) FILTER (WHERE status = 'available'), count(*) FILTER (WHERE status = 'sold')
FROM keys GROUP BY batch_id;

-- Days are UTC days: the chart's buckets no longer depend on a session's time zone.
CREATE TABLE sales_daily (
  shop_id     bigint NOT NULL,
  day         date NOT NULL,
  product_id  bigint NOT NULL,
  currency    text NOT NULL,
  orders      bigint NOT NULL DEFAULT 0,
  units       bigint NOT NULL DEFAULT 0,
  revenue     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (shop_id, day, product_id, currency)
);

CREATE FUNCTION orders_track_sales() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO sales_daily AS s (shop_id, day, product_id, currency, orders, units, revenue)
    SELECT shop_id, (fulfilled_at AT TIME ZONE 'UTC')::date, product_id, currency, count(*), sum(quantity), sum(amount_minor)
    FROM new_orders WHERE state = 'fulfilled' AND fulfilled_at IS NOT NULL
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (shop_id, day, product_id, currency) DO UPDATE
      SET orders = s.orders + EXCLUDED.orders, units = s.units + EXCLUDED.units, revenue = s.revenue + EXCLUDED.revenue;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO sales_daily AS s (shop_id, day, product_id, currency, orders, units, revenue)
    SELECT shop_id, (fulfilled_at AT TIME ZONE 'UTC')::date, product_id, currency, -count(*), -sum(quantity), -sum(amount_minor)
    FROM old_orders WHERE state = 'fulfilled' AND fulfilled_at IS NOT NULL
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (shop_id, day, product_id, currency) DO UPDATE
      SET orders = s.orders + EXCLUDED.orders, units = s.units + EXCLUDED.units, revenue = s.revenue + EXCLUDED.revenue;
  ELSE
    -- Most updates of orders touch none that is or was fulfilled (checkout, payment): they end
    -- after one scan of their own rows.
    IF NOT EXISTS (SELECT 1 FROM new_orders WHERE state = 'fulfilled') AND NOT EXISTS (SELECT 1 FROM old_orders WHERE state = 'fulfilled') THEN
      RETURN NULL;
    END IF;
    INSERT INTO sales_daily AS s (shop_id, day, product_id, currency, orders, units, revenue)
    SELECT shop_id, day, product_id, currency, o, u, r FROM (
      SELECT shop_id, day, product_id, currency, sum(o) AS o, sum(u) AS u, sum(r) AS r FROM (
        SELECT shop_id, (fulfilled_at AT TIME ZONE 'UTC')::date AS day, product_id, currency, 1 AS o, quantity::bigint AS u, amount_minor AS r
        FROM new_orders WHERE state = 'fulfilled' AND fulfilled_at IS NOT NULL
        UNION ALL
        SELECT shop_id, (fulfilled_at AT TIME ZONE 'UTC')::date, product_id, currency, -1, -quantity::bigint, -amount_minor
        FROM old_orders WHERE state = 'fulfilled' AND fulfilled_at IS NOT NULL
      ) r GROUP BY 1, 2, 3, 4) d
    WHERE o <> 0 OR u <> 0 OR r <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (shop_id, day, product_id, currency) DO UPDATE
      SET orders = s.orders + EXCLUDED.orders, units = s.units + EXCLUDED.units, revenue = s.revenue + EXCLUDED.revenue;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER orders_sales_insert AFTER INSERT ON orders REFERENCING NEW TABLE AS new_orders
  FOR EACH STATEMENT EXECUTE FUNCTION orders_track_sales();
CREATE TRIGGER orders_sales_update AFTER UPDATE ON orders REFERENCING OLD TABLE AS old_orders NEW TABLE AS new_orders
  FOR EACH STATEMENT EXECUTE FUNCTION orders_track_sales();
CREATE TRIGGER orders_sales_delete AFTER DELETE ON orders REFERENCING OLD TABLE AS old_orders
  FOR EACH STATEMENT EXECUTE FUNCTION orders_track_sales();

INSERT INTO sales_daily (shop_id, day, product_id, currency, orders, units, revenue)
SELECT shop_id, (fulfilled_at AT TIME ZONE 'UTC')::date, product_id, currency, count(*), sum(quantity), sum(amount_minor)
FROM orders WHERE state = 'fulfilled' AND fulfilled_at IS NOT NULL
GROUP BY 1, 2, 3, 4;
