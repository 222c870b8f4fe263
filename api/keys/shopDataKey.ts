// Reads a shop's wrapped data key and unwraps it through the ring (whose cache is bounded).
import { AppError } from "../errors.ts";
import { queryOne, sql, type Drizzle } from "../store/database.ts";
import { unwrapDataKey } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";

export async function loadShopDataKey(db: Drizzle, ring: MasterKeyRing, shopId: bigint): Promise<Buffer> {
  const row = await queryOne<{ data_key_wrapped: Uint8Array; master_key_id: string }>(
    db,
    sql`SELECT data_key_wrapped, master_key_id FROM shops WHERE id = ${shopId}`,
  );
  if (!row) throw new AppError("not_found", `No shop ${shopId}.`);
  return unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id);
}
