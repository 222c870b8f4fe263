// Reads a shop's wrapped data key and unwraps it through the ring. A shop's data key never
// changes (a master key rotation re-wraps it, the key itself stays), so the unwrapped key is
// kept per shop for the ring's lifetime, bounded, which saves the sale path a query per order.
import { AppError } from "../../core/errors.ts";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { unwrapDataKey } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";

const shopKeysMax = 10_000;
const shopKeysByRing = new WeakMap<MasterKeyRing, Map<bigint, Buffer>>();

export async function loadShopDataKey(db: Drizzle, ring: MasterKeyRing, shopId: bigint): Promise<Buffer> {
  return shopKeysByRing.get(ring)?.get(shopId) ?? (await loadShopDataKeys(db, ring, [shopId]))[0]!;
}

/** The data keys of many shops, in order, reading every one not yet kept in one query. */
export async function loadShopDataKeys(db: Drizzle, ring: MasterKeyRing, shopIds: readonly bigint[]): Promise<Buffer[]> {
  // Taken from the cache first: remembering the missing ones may evict kept ones.
  const kept = shopKeysByRing.get(ring);
  const found = new Map<bigint, Buffer>();
  for (const shopId of shopIds) {
    const dataKey = kept?.get(shopId);
    if (dataKey) found.set(shopId, dataKey);
  }
  const missing = shopIds.filter((shopId) => !found.has(shopId));
  if (missing.length > 0) {
    const rows = await queryRows<{ id: bigint; data_key_wrapped: Uint8Array; master_key_id: string }>(
      db,
      sql`SELECT id, data_key_wrapped, master_key_id FROM shops WHERE id = ANY(${integerArrayLiteral(missing)}::bigint[])`,
    );
    for (const row of rows) found.set(BigInt(row.id), remember(ring, BigInt(row.id), unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id)));
  }
  return shopIds.map((shopId) => {
    const dataKey = found.get(shopId);
    if (!dataKey) throw new AppError("not_found", `No shop ${shopId}.`);
    return dataKey;
  });
}

function remember(ring: MasterKeyRing, shopId: bigint, dataKey: Buffer): Buffer {
  let shopKeys = shopKeysByRing.get(ring);
  if (!shopKeys) {
    shopKeys = new Map();
    shopKeysByRing.set(ring, shopKeys);
  }
  if (shopKeys.size >= shopKeysMax) shopKeys.delete(shopKeys.keys().next().value!);
  shopKeys.set(shopId, dataKey);
  return dataKey;
}

/** Drops a shop's kept data key: its wrapped key was destroyed (a merchant's erasure, docs/compliance.md). */
export function forgetShopDataKey(ring: MasterKeyRing, shopId: bigint): void {
  shopKeysByRing.get(ring)?.delete(shopId);
}
