// Finds the key row for a secret without comparing plaintext: for each shop (or the one
// given) compute that shop's keyed dedupe hash of the secret and look it up. Cost is one HMAC
// per shop; `shopsMax` bounds it.
import { deriveDedupeKey, dedupeHash } from "../../keys/dedupe.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../store/database.ts";

const shopsMax = 10_000;

export async function findKeyBySecret(
  db: Drizzle,
  ring: MasterKeyRing,
  secret: string,
  options: { shopId?: bigint } = {},
): Promise<{ keyId: bigint; shopId: bigint } | undefined> {
  const shops =
    options.shopId !== undefined
      ? [{ id: options.shopId }]
      : await queryRows<{ id: bigint }>(db, sql`SELECT id FROM shops ORDER BY id LIMIT ${shopsMax}`);
  for (const shop of shops) {
    const shopId = BigInt(shop.id);
    const dataKey = await loadShopDataKey(db, ring, shopId);
    const hash = dedupeHash(deriveDedupeKey(dataKey, shopId), secret);
    // Only sold keys are found: answering "genuine" for a key still in stock would let anyone
    // who guesses a short code learn that it is valid before it is sold.
    const row = await queryOne<{ id: bigint }>(
      db,
      sql`SELECT id FROM keys WHERE shop_id = ${shopId} AND dedupe_hash = ${hash} AND status IN ('sold', 'revoked')`,
    );
    if (row) return { keyId: BigInt(row.id), shopId };
  }
  return undefined;
}
