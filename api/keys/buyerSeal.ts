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
import { createGroupCommit, type GroupCommit, type GroupCommitOptions } from "../../core/store/groupCommit.ts";
import { byteaArrayLiteral, integerArrayLiteral, textArrayLiteral } from "../../core/store/sqlArrays.ts";
import { createShopDataKey, decryptSecret, encryptSecret, heldKeyAad, keyAad, unwrapDataKey } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";
import { loadShopDataKey, loadShopDataKeys } from "./shopDataKey.ts";

export type SealedKeyRow = {
  shopId: bigint;
  batchId: bigint;
  leafIndex: number;
  ciphertext: Uint8Array;
  sealedForAccountId: bigint | null;
  /**
   * The holder's wrapped data key when the caller read it with the row (a join on
   * account_data_keys, null when it was destroyed): saves the read. Left out, it is read here.
   */
  holderKey?: { dataKeyWrapped: Uint8Array; masterKeyId: string } | null;
};

/** The buyer's data key for reading a code sealed under it; gone once the buyer was erased. */
export async function loadAccountDataKey(db: Drizzle, ring: MasterKeyRing, accountId: bigint): Promise<Buffer> {
  const row = await queryOne<{ data_key_wrapped: Uint8Array; master_key_id: string }>(
    db,
    sql`SELECT data_key_wrapped, master_key_id FROM account_data_keys WHERE account_id = ${accountId}`,
  );
  if (!row) throw erasedCode();
  return unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id);
}

async function holderDataKey(db: Drizzle, ring: MasterKeyRing, holder: bigint, read: SealedKeyRow["holderKey"]): Promise<Buffer> {
  if (read === undefined) return loadAccountDataKey(db, ring, holder);
  if (read === null) throw erasedCode();
  return unwrapDataKey(ring, read.dataKeyWrapped, read.masterKeyId);
}

const erasedCode = () => new AppError("not_found", "This key's code was erased with its buyer's personal data and cannot be shown.");

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
    dataKey = holder === null ? loadShopDataKey(db, ring, row.shopId) : holderDataKey(db, ring, holder, row.holderKey);
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
  return (await sealOrdersKeysForBuyers(db, ring, [orderId]))[0]!;
}

/** The fulfilment worker's group commit of re-sealing: the orders fulfilled together are re-sealed together. */
export type BuyerSealBatcher = GroupCommit<string, number>;

export function createBuyerSealBatcher(db: Drizzle, ring: MasterKeyRing, options?: GroupCommitOptions): BuyerSealBatcher {
  return createGroupCommit(
    (orderIds: string[]) => sealOrdersKeysForBuyers(db, ring, orderIds),
    (orderId) => orderId,
    options,
  );
}

type UnsealedRow = {
  id: bigint;
  order_id: string;
  shop_id: bigint;
  batch_id: bigint;
  leaf_index: number;
  ciphertext: Uint8Array;
  buyer_account_id: bigint;
  erased: boolean;
  data_key_wrapped: Uint8Array | null;
  master_key_id: string | null;
};

/**
 * sealOrderKeysForBuyer for many orders in one transaction of three or four statements, whatever
 * their number (it was six round trips per order): the keys still under their shop's key with
 * their buyers' accounts and wrapped keys in one read, the data keys of first-time buyers created
 * in one insert, every key rewritten in one update. Answers each order's count, in order.
 * Locks as before: the keys FOR NO KEY UPDATE in id order, each buyer's account row FOR KEY SHARE.
 */
export async function sealOrdersKeysForBuyers(db: Drizzle, ring: MasterKeyRing, orderIds: readonly string[]): Promise<number[]> {
  return db.transaction(async (tx) => {
    const rows = await queryRows<UnsealedRow>(
      tx,
      sql`SELECT k.id, e.order_id, k.shop_id, k.batch_id, k.leaf_index, k.ciphertext, o.buyer_account_id,
                 a.erased_at IS NOT NULL AS erased, d.data_key_wrapped, d.master_key_id
          FROM orders o
            JOIN entitlements e ON e.order_id = o.id AND e.owner_account_id = o.buyer_account_id
            JOIN keys k ON k.id = e.key_id
            JOIN accounts a ON a.id = o.buyer_account_id
            LEFT JOIN account_data_keys d ON d.account_id = a.id
          WHERE o.id = ANY(${textArrayLiteral(orderIds)}::text[]) AND k.sealed_for_account_id IS NULL
          ORDER BY k.id FOR NO KEY UPDATE OF k FOR KEY SHARE OF a`,
    );
    if (rows.length === 0) return orderIds.map(() => 0);
    const buyerKeys = await sealingKeysOf(tx, ring, rows);
    // The keys' shops (a docked order's keys are its supplier's), each data key read once.
    const shopIds = [...new Set(rows.map((row) => BigInt(row.shop_id)))];
    const shopKeys = new Map((await loadShopDataKeys(tx, ring, shopIds)).map((key, index) => [shopIds[index]!, key]));
    const rewritten = rows.map((row) => {
      const buyer = BigInt(row.buyer_account_id);
      const buyerKey = buyerKeys.get(buyer);
      // An erased buyer: the code is overwritten, under no key (zeros of the same length).
      if (!buyerKey) return { holder: null, ciphertext: Buffer.alloc(row.ciphertext.byteLength) };
      const position = { shopId: BigInt(row.shop_id), batchId: BigInt(row.batch_id), leafIndex: row.leaf_index };
      return {
        holder: buyer,
        ciphertext: encryptSecret(buyerKey, decryptSecret(shopKeys.get(position.shopId)!, row.ciphertext, keyAad(position)), heldKeyAad(position, buyer)),
      };
    });
    await tx.execute(
      sql`UPDATE keys k SET ciphertext = m.ciphertext, sealed_for_account_id = m.holder
          FROM unnest(${integerArrayLiteral(rows.map((row) => BigInt(row.id)))}::bigint[], ${byteaArrayLiteral(rewritten.map((row) => row.ciphertext))}::bytea[],
                      ${textArrayLiteral(rewritten.map((row) => (row.holder === null ? null : String(row.holder))))}::bigint[]) AS m(id, ciphertext, holder)
          WHERE k.id = m.id`,
    );
    const sealed = new Map<string, number>();
    rows.forEach((row, index) => {
      if (rewritten[index]!.holder !== null) sealed.set(row.order_id, (sealed.get(row.order_id) ?? 0) + 1);
    });
    return orderIds.map((orderId) => sealed.get(orderId) ?? 0);
  });
}

/**
 * Each buyer's data key for sealing, created on first use (one insert for every first-time buyer
 * of the batch); none for an erased buyer. The unwrap is cached by the ring (keyed by the wrapped
 * bytes), so a returning buyer costs no master-key operation.
 */
async function sealingKeysOf(tx: Drizzle, ring: MasterKeyRing, rows: readonly UnsealedRow[]): Promise<Map<bigint, Buffer>> {
  const keys = new Map<bigint, Buffer>();
  const fresh = new Map<bigint, ReturnType<typeof createShopDataKey>>();
  for (const row of rows) {
    const buyer = BigInt(row.buyer_account_id);
    if (row.erased || keys.has(buyer) || fresh.has(buyer)) continue;
    if (row.data_key_wrapped && row.master_key_id) keys.set(buyer, unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id));
    else fresh.set(buyer, createShopDataKey(ring));
  }
  if (fresh.size === 0) return keys;
  // In account order, so two batches creating keys for the same buyers wait for each other instead of deadlocking.
  const firstTime = [...fresh].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Two first deliveries at once: the second keeps the first's key.
  const stored = await queryRows<{ account_id: bigint; data_key_wrapped: Uint8Array; master_key_id: string }>(
    tx,
    sql`INSERT INTO account_data_keys (account_id, data_key_wrapped, master_key_id)
        SELECT * FROM unnest(${integerArrayLiteral(firstTime.map(([buyer]) => buyer))}::bigint[], ${byteaArrayLiteral(firstTime.map(([, key]) => key.dataKeyWrapped))}::bytea[],
                             ${textArrayLiteral(firstTime.map(([, key]) => key.masterKeyId))}::text[])
        ON CONFLICT (account_id) DO UPDATE SET account_id = EXCLUDED.account_id RETURNING account_id, data_key_wrapped, master_key_id`,
  );
  for (const row of stored) keys.set(BigInt(row.account_id), unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id));
  return keys;
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
