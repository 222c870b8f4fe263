// Revenue per day and top products for the merchant's charts; fulfilled orders only.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export async function salesSummary(db: Drizzle, shopId: bigint, days: number) {
  const since = new Date(Date.now() - days * 24 * 3600 * 1000);
  const perDay = await queryRows<{ day: string; currency: string; revenue: bigint; orders: string | number }>(
    db,
    sql`SELECT to_char(date_trunc('day', fulfilled_at), 'YYYY-MM-DD') AS day, currency, sum(amount_minor)::bigint AS revenue, count(*) AS orders
        FROM orders WHERE shop_id = ${shopId} AND state = 'fulfilled' AND fulfilled_at >= ${since}
        GROUP BY 1, 2 ORDER BY 1`,
  );
  const topProducts = await queryRows<{ product_id: bigint; name: string; currency: string; revenue: bigint; units: string | number }>(
    db,
    sql`SELECT o.product_id, p.name, o.currency, sum(o.amount_minor)::bigint AS revenue, sum(o.quantity) AS units
        FROM orders o JOIN products p ON p.id = o.product_id
        WHERE o.shop_id = ${shopId} AND o.state = 'fulfilled' AND o.fulfilled_at >= ${since}
        GROUP BY 1, 2, 3 ORDER BY revenue DESC LIMIT 10`,
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
