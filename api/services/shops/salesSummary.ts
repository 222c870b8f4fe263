// Revenue per day and top products for the merchant's charts; fulfilled orders only, by UTC
// day. Read from sales_daily, kept by triggers on orders (migration 0340): a chart costs the
// rows of its window (days x products sold), not the shop's orders, which it summed before.
// The window is the last `days` UTC days, today included.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export async function salesSummary(db: Drizzle, shopId: bigint, days: number) {
  const window = sql`s.shop_id = ${shopId} AND s.day > (now() AT TIME ZONE 'UTC')::date - ${days}::int`;
  const perDay = await queryRows<{ day: string; currency: string; revenue: bigint; orders: string | number }>(
    db,
    sql`SELECT to_char(s.day, 'YYYY-MM-DD') AS day, s.currency, sum(s.revenue)::bigint AS revenue, sum(s.orders) AS orders
        FROM sales_daily s WHERE ${window}
        GROUP BY s.day, s.currency HAVING sum(s.orders) <> 0 ORDER BY s.day, s.currency`,
  );
  const topProducts = await queryRows<{ product_id: bigint; name: string; currency: string; revenue: bigint; units: string | number }>(
    db,
    sql`SELECT s.product_id, p.name, s.currency, sum(s.revenue)::bigint AS revenue, sum(s.units) AS units
        FROM sales_daily s JOIN products p ON p.id = s.product_id
        WHERE ${window}
        GROUP BY 1, 2, 3 HAVING sum(s.orders) <> 0 ORDER BY revenue DESC, s.product_id LIMIT 10`,
  );
  return {
    days,
    revenuePerDay: perDay.map((row) => ({ day: row.day, currency: row.currency, revenueMinor: String(row.revenue), orders: Number(row.orders) })),
    topProducts: topProducts.map((row) => ({
      productId: String(row.product_id),
      name: row.name,
      currency: row.currency,
      revenueMinor: String(row.revenue),
      units: Number(row.units),
    })),
  };
}
