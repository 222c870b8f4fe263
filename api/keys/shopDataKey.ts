// Reads a shop's wrapped data key and unwraps it through the ring. A shop's data key never
// changes (a master key rotation re-wraps it, the key itself stays), so the unwrapped key is
// kept per shop for the ring's lifetime, bounded, which saves the sale path a query per order.
import { AppError } from "../errors.ts";
import { queryOne, sql, type Drizzle } from "../store/database.ts";
import { unwrapDataKey } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";

const shopKeysMax = 10_000;
const shopKeysByRing = new WeakMap<MasterKeyRing, Map<bigint, Buffer>>();

export async function loadShopDataKey(db: Drizzle, ring: MasterKeyRing, shopId: bigint): Promise<Buffer> {
  let shopKeys = shopKeysByRing.get(ring);
  const cached = shopKeys?.get(shopId);
  if (cached) return cached;
  const row = await queryOne<{ data_key_wrapped: Uint8Array; master_key_id: string }>(
    db,
    sql`SELECT data_key_wrapped, master_key_id FROM shops WHERE id = ${shopId}`,
  );
  if (!row) throw new AppError("not_found", `No shop ${shopId}.`);
  const dataKey = unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id);
  if (!shopKeys) shopKeysByRing.set(ring, (shopKeys = new Map()));
  if (shopKeys.size >= shopKeysMax) shopKeys.delete(shopKeys.keys().next().value!);
  shopKeys.set(shopId, dataKey);
  return dataKey;
}
