// A key's certificate is served only through the order that bought it: the order's access
// check (loadOrderFor) proves the caller may see the order, and this proves the key is in it.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export async function assertKeyInOrder(db: Drizzle, parameters: { keyId: bigint; orderId: string }): Promise<void> {
  const owned = await queryOne<{ id: bigint }>(db, sql`SELECT id FROM keys WHERE id = ${parameters.keyId} AND order_id = ${parameters.orderId}`);
  if (!owned) throw new AppError("not_found", "This key does not belong to this order.");
}
