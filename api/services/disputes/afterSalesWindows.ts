// The after-sales window per product category (docs/disputes.md, "Holds"), set by the platform.
// A change applies to sales whose proceeds are held after it; holds already placed keep their
// release time.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type AfterSalesWindow = { category: string; windowSeconds: number };

export async function listAfterSalesWindows(db: Drizzle): Promise<AfterSalesWindow[]> {
  const rows = await queryRows<{ category: string; window_seconds: number }>(
    db,
    sql`SELECT category, window_seconds FROM after_sales_windows ORDER BY category`,
  );
  return rows.map((row) => ({ category: row.category, windowSeconds: row.window_seconds }));
}

export async function setAfterSalesWindow(db: Drizzle, window: AfterSalesWindow): Promise<void> {
  await db.execute(
    sql`INSERT INTO after_sales_windows (category, window_seconds) VALUES (${window.category}, ${window.windowSeconds})
        ON CONFLICT (category) DO UPDATE SET window_seconds = excluded.window_seconds, updated_at = now()`,
  );
}
