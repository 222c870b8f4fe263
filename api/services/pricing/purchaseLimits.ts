// Per buyer per product per day: a product's daily_buyer_quantity_max counts the quantity of the
// buyer's (or, for a guest, the contact's) orders of that product over the last 24 hours that
// did not expire or fail. A check before the order is written: concurrent checkouts by one buyer
// can pass it together (documented in docs/pricing.md); the limit is a merchant's rationing
// rule, not a money invariant. Contacts arrive lower-cased (the email schema), as stored.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export async function assertDailyPurchaseLimit(
  db: Drizzle,
  input: { productId: bigint; quantity: number; buyerAccountId?: bigint; contact?: string },
): Promise<void> {
  const row = await queryOne<{ limit: number | null; bought: string | null }>(
    db,
    sql`SELECT p.daily_buyer_quantity_max AS limit,
               (SELECT sum(o.quantity) FROM orders o
                WHERE o.product_id = p.id AND o.created_at > now() - interval '24 hours' AND o.state NOT IN ('expired','failed')
                  AND ${
                    input.buyerAccountId !== undefined
                      ? sql`o.buyer_account_id = ${input.buyerAccountId}`
                      : sql`o.buyer_account_id IS NULL AND o.contact = ${input.contact ?? ""}`
                  }) AS bought
        FROM products p WHERE p.id = ${input.productId}`,
  );
  if (!row || row.limit === null) return;
  const bought = Number(row.bought ?? 0);
  if (bought + input.quantity > row.limit) {
    const left = Math.max(0, row.limit - bought);
    throw new AppError(
      "purchase_limit_reached",
      `This product allows ${row.limit} per buyer per 24 hours; you have ${left} left. Order ${left > 0 ? `at most ${left}` : "again tomorrow"}.`,
      { details: { limit: row.limit, bought, left } },
    );
  }
}
