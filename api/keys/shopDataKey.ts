// Reads a shop's wrapped data key and unwraps it through the ring. A shop's data key never
// changes (a master key rotation re-wraps it, the key itself stays), so the unwrapped key is
// kept per shop for the ring's lifetime, bounded, which saves the sale path a query per order.
import { AppError } from "../errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../store/database.ts";
import { integerArrayLiteral } from "../store/sqlArrays.ts";
import { unwrapDataKey } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";

const shopKeysMax = 10_000;
const shopKeysByRing = new WeakMap<MasterKeyRing, Map<bigint, Buffer>>();

export async function loadShopDataKey(db: Drizzle, ring: MasterKeyRing, shopId: bigint): Promise<Buffer> {
  const cached = shopKeysByRing.get(ring)?.get(shopId);
  if (cached) return cached;
  const row = await queryOne<{ data_key_wrapped: Uint8Array; master_key_id: string }>(
    db,
    sql`SELECT data_key_wrapped, master_key_id FROM shops WHERE id = ${shopId}`,
  );
  if (!row) throw new AppError("not_found", `No shop ${shopId}.`);
  return remember(ring, shopId, unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id));
}

/** The data keys of many shops, in order, reading every one not yet kept in one query. */
export async function loadShopDataKeys(db: Drizzle, ring: MasterKeyRing, shopIds: readonly bigint[]): Promise<Buffer[]> {
  const kept = shopKeysByRing.get(ring);
  const missing = shopIds.filter((shopId) => !kept?.has(shopId));
  const read = new Map<bigint, Buffer>();
  if (missing.length > 0) {
    const rows = await queryRows<{ id: bigint; data_key_wrapped: Uint8Array; master_key_id: string }>(
      db,
      sql`SELECT id, data_key_wrapped, master_key_id FROM shops WHERE id = ANY(${integerArrayLiteral(missing)}::bigint[])`,
    );
    for (const row of rows) read.set(BigInt(row.id), remember(ring, BigInt(row.id), unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id)));
  }
  return shopIds.map((shopId) => {
    const dataKey = read.get(shopId) ?? shopKeysByRing.get(ring)?.get(shopId);
    if (!dataKey) throw new AppError("not_found", `No shop ${shopId}.`);
    return dataKey;
  });
}

function remember(ring: MasterKeyRing, shopId: bigint, dataKey: Buffer): Buffer {
  let shopKeys = shopKeysByRing.get(ring);
  if (!shopKeys) shopKeysByRing.set(ring, (shopKeys = new Map()));
  if (shopKeys.size >= shopKeysMax) shopKeys.delete(shopKeys.keys().next().value!);
  shopKeys.set(shopId, dataKey);
  return dataKey;
}
