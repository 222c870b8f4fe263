// Product views, one of the recommendation signals (docs/discovery.md, "Recommendations"):
// recorded for signed-in accounts only, on active products, and kept 30 days (the job in
// updateRecommendations.ts deletes older ones).
import { sql, type Drizzle } from "../../../core/store/database.ts";

/** Records that a signed-in account opened an active product's page (the route checks both). */
export async function recordProductView(db: Drizzle, accountId: bigint, productId: bigint): Promise<void> {
  await db.execute(sql`INSERT INTO product_views (account_id, product_id) VALUES (${accountId}, ${productId})`);
}
