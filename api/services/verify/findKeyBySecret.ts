// Finds the key row for a secret without comparing plaintext: the secret is hashed under each
// shop's keyed dedupe key (or the one shop given), and all the (shop, hash) pairs are looked up
// in one statement through keys_shop_dedupe_key. Cost: one HMAC per shop and one query; it was
// one query per shop, in turn (10,000 round trips for a key no shop has). `shopsMax` bounds it.
import { deriveDedupeKey, dedupeHash } from "../../keys/dedupe.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKeys } from "../../keys/shopDataKey.ts";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { byteaArrayLiteral, integerArrayLiteral } from "../../../core/store/sqlArrays.ts";

const shopsMax = 10_000;

// A shop's dedupe key is derived from its data key, which never changes: derived once per ring.
const dedupeKeysByRing = new WeakMap<MasterKeyRing, Map<bigint, Buffer>>();

export async function findKeyBySecret(
  db: Drizzle,
  ring: MasterKeyRing,
  secret: string,
  options: { shopId?: bigint } = {},
): Promise<{ keyId: bigint; shopId: bigint } | undefined> {
  const [found] = await soldKeysWithSecret(db, ring, secret, { shopId: options.shopId, limit: 1 });
  return found;
}

/**
 * Every sold or revoked key of any shop with this secret, except `exceptKeyId`: the same code
 * sold in another context (a dispute's evidence, api/services/disputes/disputeEvidence.ts).
 */
export async function findOtherKeysWithSecret(
  db: Drizzle,
  ring: MasterKeyRing,
  secret: string,
  options: { exceptKeyId: bigint; limit: number },
): Promise<{ keyId: bigint; shopId: bigint }[]> {
  return soldKeysWithSecret(db, ring, secret, options);
}

/** The sold or revoked keys with this secret, in shop order, of one shop or all of them. */
async function soldKeysWithSecret(
  db: Drizzle,
  ring: MasterKeyRing,
  secret: string,
  options: { shopId?: bigint; exceptKeyId?: bigint; limit: number },
): Promise<{ keyId: bigint; shopId: bigint }[]> {
  const shopIds =
    options.shopId !== undefined
      ? [options.shopId]
      : (await queryRows<{ id: bigint }>(db, sql`SELECT id FROM shops ORDER BY id LIMIT ${shopsMax}`)).map((row) => BigInt(row.id));
  if (shopIds.length === 0) return [];
  const dedupeKeys = await shopDedupeKeys(db, ring, shopIds);
  const hashes = dedupeKeys.map((dedupeKey) => dedupeHash(dedupeKey, secret));
  // Only sold keys are found: answering "genuine" for a key still in stock would let anyone
  // who guesses a short code learn that it is valid before it is sold.
  const rows = await queryRows<{ id: bigint; shop_id: bigint }>(
    db,
    sql`SELECT k.id, k.shop_id
        FROM unnest(${integerArrayLiteral(shopIds)}::bigint[], ${byteaArrayLiteral(hashes)}::bytea[]) AS wanted(shop_id, hash)
          JOIN keys k ON k.shop_id = wanted.shop_id AND k.dedupe_hash = wanted.hash
        WHERE k.status IN ('sold', 'revoked') ${options.exceptKeyId === undefined ? sql`` : sql`AND k.id <> ${options.exceptKeyId}`}
        ORDER BY k.shop_id LIMIT ${options.limit}`,
  );
  return rows.map((row) => ({ keyId: BigInt(row.id), shopId: BigInt(row.shop_id) }));
}

async function shopDedupeKeys(db: Drizzle, ring: MasterKeyRing, shopIds: bigint[]): Promise<Buffer[]> {
  let derived = dedupeKeysByRing.get(ring);
  if (!derived) {
    derived = new Map();
    dedupeKeysByRing.set(ring, derived);
  }
  const missing = shopIds.filter((shopId) => !derived.has(shopId));
  const dataKeys = await loadShopDataKeys(db, ring, missing);
  const fresh = new Map(missing.map((shopId, index) => [shopId, deriveDedupeKey(dataKeys[index]!, shopId)] as const));
  const keys = shopIds.map((shopId) => fresh.get(shopId) ?? derived.get(shopId)!);
  for (const [shopId, dedupeKey] of fresh) {
    if (derived.size >= shopsMax) derived.delete(derived.keys().next().value!);
    derived.set(shopId, dedupeKey);
  }
  return keys;
}
