// Per-buyer data keys (docs/compliance.md, "Data rights"). A key in stock is sealed under its
// shop's data key; at delivery to a buyer with an account, its secret is re-sealed under that
// buyer's own data key (created on their first delivery, wrapped under the master key like a
// shop's), and the shop's copy is overwritten by it. Erasing the buyer then deletes their wrapped
// key: every copy of their codes, backups taken after delivery included, is noise (true
// crypto-shredding), while every other buyer of the shop keeps theirs. Guest orders (no account)
// stay under the shop's key; their erasure overwrites the ciphertext (dataRights.ts).
//
// The buyer's key is read under a key-share lock on their account row, which conflicts only with
// the erasure's FOR UPDATE: a delivery re-sealed before an erasure is shredded by it, and one after
// finds the account erased and overwrites the code instead of sealing it under a new key.
import { AppError } from "../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { byteaArrayLiteral, integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { createShopDataKey, decryptSecret, encryptSecret, heldKeyAad, keyAad, unwrapDataKey } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";
import { loadShopDataKey } from "./shopDataKey.ts";

export type SealedKeyRow = { shopId: bigint; batchId: bigint; leafIndex: number; ciphertext: Uint8Array; sealedForAccountId: bigint | null };

/**
 * The buyer's data key for sealing, created on first use; undefined when the account is erased.
 * The unwrap is cached by the ring (keyed by the wrapped bytes), so a returning buyer costs one
 * indexed read and no master-key operation.
 */
async function sealingKeyOf(db: Drizzle, ring: MasterKeyRing, accountId: bigint): Promise<Buffer | undefined> {
  const row = await queryOne<{ erased_at: Date | null; data_key_wrapped: Uint8Array | null; master_key_id: string | null }>(
    db,
    sql`SELECT a.erased_at, k.data_key_wrapped, k.master_key_id FROM accounts a LEFT JOIN account_data_keys k ON k.account_id = a.id
        WHERE a.id = ${accountId} FOR KEY SHARE OF a`,
  );
  if (!row || row.erased_at) return undefined;
  if (row.data_key_wrapped && row.master_key_id) return unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id);
  const fresh = createShopDataKey(ring);
  // Two first deliveries at once: the second keeps the first's key.
  const stored = await queryOne<{ data_key_wrapped: Uint8Array; master_key_id: string }>(
    db,
    sql`INSERT INTO account_data_keys (account_id, data_key_wrapped, master_key_id) VALUES (${accountId}, ${fresh.dataKeyWrapped}, ${fresh.masterKeyId})
        ON CONFLICT (account_id) DO UPDATE SET account_id = EXCLUDED.account_id RETURNING data_key_wrapped, master_key_id`,
  );
  return unwrapDataKey(ring, stored!.data_key_wrapped, stored!.master_key_id);
}

/** The buyer's data key for reading a code sealed under it; gone once the buyer was erased. */
export async function loadAccountDataKey(db: Drizzle, ring: MasterKeyRing, accountId: bigint): Promise<Buffer> {
  const row = await queryOne<{ data_key_wrapped: Uint8Array; master_key_id: string }>(
    db,
    sql`SELECT data_key_wrapped, master_key_id FROM account_data_keys WHERE account_id = ${accountId}`,
  );
  if (!row) throw new AppError("not_found", "This key's code was erased with its buyer's personal data and cannot be shown.");
  return unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id);
}

/**
 * A delivered key's code, whichever key seals it. `keys` memoises the data keys of one request
 * (an order's codes share their shop and their buyer).
 */
export async function openDeliveredCode(db: Drizzle, ring: MasterKeyRing, row: SealedKeyRow, keys = new Map<string, Promise<Buffer>>()): Promise<string> {
  const position = { shopId: row.shopId, batchId: row.batchId, leafIndex: row.leafIndex };
  const holder = row.sealedForAccountId;
  const name = holder === null ? `shop:${row.shopId}` : `account:${holder}`;
  let dataKey = keys.get(name);
  if (!dataKey) {
    dataKey = holder === null ? loadShopDataKey(db, ring, row.shopId) : loadAccountDataKey(db, ring, holder);
    keys.set(name, dataKey);
  }
  return decryptSecret(await dataKey, Buffer.from(row.ciphertext), holder === null ? keyAad(position) : heldKeyAad(position, holder));
}

/**
 * Re-seals the keys delivered by an order under its buyer's data key, once (keys already re-sealed
 * are skipped, so a redelivered job does nothing). Answers how many were re-sealed. A guest order
 * keeps the shop's key; an erased buyer's codes are overwritten (zeros of the same length).
 */
export async function sealOrderKeysForBuyer(db: Drizzle, ring: MasterKeyRing, orderId: string): Promise<number> {
  return db.transaction(async (tx) => {
    const order = await queryOne<{ buyer_account_id: bigint | null }>(tx, sql`SELECT buyer_account_id FROM orders WHERE id = ${orderId}`);
    if (!order?.buyer_account_id) return 0;
    const buyer = BigInt(order.buyer_account_id);
    const rows = await queryRows<{ id: bigint; shop_id: bigint; batch_id: bigint; leaf_index: number; ciphertext: Uint8Array }>(
      tx,
      sql`SELECT k.id, k.shop_id, k.batch_id, k.leaf_index, k.ciphertext FROM keys k JOIN entitlements e ON e.key_id = k.id
          WHERE e.order_id = ${orderId} AND e.owner_account_id = ${buyer} AND k.sealed_for_account_id IS NULL
          ORDER BY k.id FOR NO KEY UPDATE OF k`,
    );
    if (rows.length === 0) return 0;
    const buyerKey = await sealingKeyOf(tx, ring, buyer);
    if (!buyerKey) {
      await tx.execute(
        sql`UPDATE keys SET ciphertext = decode(repeat('00', octet_length(ciphertext)), 'hex') WHERE id = ANY(${integerArrayLiteral(rows.map((row) => BigInt(row.id)))}::bigint[])`,
      );
      return 0;
    }
    const sealed = await Promise.all(
      rows.map(async (row) => {
        const position = { shopId: BigInt(row.shop_id), batchId: BigInt(row.batch_id), leafIndex: row.leaf_index };
        const code = await openDeliveredCode(tx, ring, { ...position, ciphertext: row.ciphertext, sealedForAccountId: null });
        return encryptSecret(buyerKey, code, heldKeyAad(position, buyer));
      }),
    );
    await tx.execute(
      sql`UPDATE keys k SET ciphertext = m.ciphertext, sealed_for_account_id = ${buyer}
          FROM unnest(${integerArrayLiteral(rows.map((row) => BigInt(row.id)))}::bigint[], ${byteaArrayLiteral(sealed)}::bytea[]) AS m(id, ciphertext)
          WHERE k.id = m.id`,
    );
    return rows.length;
  });
}

/**
 * Before a buyer's key is destroyed: codes sealed under it that now belong to someone else (resold,
 * or moved to a wallet) go back under their shop's key, so erasing the seller does not take the
 * new holder's code. Answers how many; the caller holds the account's row lock.
 */
export async function resealTransferredKeys(db: Drizzle, ring: MasterKeyRing, accountId: bigint): Promise<number> {
  const rows = await queryRows<{ id: bigint; shop_id: bigint; batch_id: bigint; leaf_index: number; ciphertext: Uint8Array }>(
    db,
    sql`SELECT k.id, k.shop_id, k.batch_id, k.leaf_index, k.ciphertext FROM keys k JOIN entitlements e ON e.key_id = k.id
        WHERE k.sealed_for_account_id = ${accountId} AND e.owner_account_id IS DISTINCT FROM ${accountId}
        ORDER BY k.id FOR NO KEY UPDATE OF k`,
  );
  if (rows.length === 0) return 0;
  const keys = new Map<string, Promise<Buffer>>();
  const resealed = await Promise.all(
    rows.map(async (row) => {
      const position = { shopId: BigInt(row.shop_id), batchId: BigInt(row.batch_id), leafIndex: row.leaf_index };
      const code = await openDeliveredCode(db, ring, { ...position, ciphertext: row.ciphertext, sealedForAccountId: accountId }, keys);
      return encryptSecret(await loadShopDataKey(db, ring, position.shopId), code, keyAad(position));
    }),
  );
  await db.execute(
    sql`UPDATE keys k SET ciphertext = m.ciphertext, sealed_for_account_id = NULL
        FROM unnest(${integerArrayLiteral(rows.map((row) => BigInt(row.id)))}::bigint[], ${byteaArrayLiteral(resealed)}::bytea[]) AS m(id, ciphertext)
        WHERE k.id = m.id`,
  );
  return rows.length;
}
