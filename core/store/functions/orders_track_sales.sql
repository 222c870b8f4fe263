-- orders_track_sales: its current definition (last written by migration 0340_merchant_rollups.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION orders_track_sales() RETURNS trigger LANGUAGE plpgsql AS $$
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
