// Revokes every access token of an order at once (the mail link, the checkout's token, the
// gateway's return token, any look-up's): the order's access generation is raised, and tokens
// name the generation they were issued under (orderAccess.ts). The caller, who proved to be
// the buyer, gets a fresh token of the new generation.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export async function revokeOrderAccess(db: Drizzle, orderId: string): Promise<{ id: string; accessGeneration: number }> {
  const row = await queryOne<{ access_generation: number }>(
    db,
    sql`UPDATE orders SET access_generation = access_generation + 1 WHERE id = ${orderId} RETURNING access_generation`,
  );
  if (!row) throw new AppError("not_found", `No order ${orderId}.`);
  return { id: orderId, accessGeneration: Number(row.access_generation) };
}
