// Per-buyer data keys (docs/compliance.md, "Data rights"). A key in stock is sealed under its
// shop's data key; after delivery its secret is re-sealed under a data key of its buyer alone, and
// the shop's copy is overwritten by it: the buyer's account's key (created on their first delivery)
// or, for a guest order (no account), the order's own key (migrations 1530 and 1560). Both are
// wrapped under the master key like a shop's. Erasing the buyer (the account, or the guest through
// the order's access) deletes the wrapped key: every copy of those codes, backups taken after
// delivery included, is noise (true crypto-shredding), while every other buyer of the shop keeps theirs.
//
// The holder is read under a key-share lock on its row (the account, or the order), which conflicts
// only with the erasure's FOR UPDATE: a delivery re-sealed before an erasure is shredded by it, and one
// after finds the holder erased and overwrites the code instead of sealing it under a new key.
import { randomBytes } from "node:crypto";
import { AppError } from "../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { byteaArrayLiteral, integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { createShopDataKey, dataKeyBytes, decryptSecret, encryptSecret, heldKeyAad, keyAad, type ShopDataKey, unwrapDataKey, wrapDataKey } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";
import { loadShopDataKey } from "./shopDataKey.ts";

export type SealedKeyRow = {
  shopId: bigint;
  batchId: bigint;
  leafIndex: number;
  ciphertext: Uint8Array;
  sealedForAccountId: bigint | null;
  /** The guest order whose own data key seals the code (null: the account's, or the shop's). */
  sealedForOrderId?: string | null;
};

/** The contact of an order whose guest was erased (api/services/compliance/eraseGuestOrder.ts). */
export const erasedContact = "erased";

/** Who alone can open a delivered code: an account, or a guest's order. */
type Holder = { account: bigint } | { order: string };

/** The associated data of a code sealed for its holder, binding it there (an account: its id, for codes sealed before 1560). */
function holderAad(position: { shopId: bigint; batchId: bigint; leafIndex: number }, holder: Holder): string {
  return heldKeyAad(position, "account" in holder ? holder.account : `order:${holder.order}`);
}

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

/** A guest order's data key for reading a code sealed under it; gone once the guest was erased. */
export async function loadOrderDataKey(db: Drizzle, ring: MasterKeyRing, orderId: string): Promise<Buffer> {
  const row = await queryOne<{ data_key_wrapped: Uint8Array; master_key_id: string }>(
    db,
    sql`SELECT data_key_wrapped, master_key_id FROM order_data_keys WHERE order_id = ${orderId}`,
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
  const holder: Holder | null =
    row.sealedForAccountId !== null ? { account: row.sealedForAccountId } : row.sealedForOrderId ? { order: row.sealedForOrderId } : null;
  const name = holder === null ? `shop:${row.shopId}` : "account" in holder ? `account:${holder.account}` : `order:${holder.order}`;
  let dataKey = keys.get(name);
  if (!dataKey) {
    if (holder === null) dataKey = loadShopDataKey(db, ring, row.shopId);
    else dataKey = "account" in holder ? loadAccountDataKey(db, ring, holder.account) : loadOrderDataKey(db, ring, holder.order);
    keys.set(name, dataKey);
  }
  return decryptSecret(await dataKey, Buffer.from(row.ciphertext), holder === null ? keyAad(position) : holderAad(position, holder));
}

/** The data key that seals an order's codes; `fresh`: a guest order's new key, stored with them. */
type SealingKey = { key: Buffer; fresh?: ShopDataKey };

type DeliveredRow = {
  id: bigint;
  shop_id: bigint;
  batch_id: bigint;
  leaf_index: number;
  ciphertext: Uint8Array;
  buyer_account_id: bigint | null;
  contact: string | null;
  order_key_wrapped: Uint8Array | null;
  order_master_key_id: string | null;
};

/**
 * Re-seals the keys delivered by an order under its buyer's data key (the account's, or a guest
 * order's own), once: keys already re-sealed are skipped, so a redelivered job (or a dispute's
 * replacement key, sealed by the same call) seals only what is new. Answers how many were re-sealed;
 * an erased buyer's codes are overwritten (zeros of the same length) instead.
 *
 * Cost on the fulfilment worker: one statement reads the order, its unsealed keys and a guest
 * order's key, locking them; then a guest order needs one write (its new key and the codes in one
 * statement), an account a key-share read of the account and its key, and the write.
 */
export async function sealOrderKeysForBuyer(db: Drizzle, ring: MasterKeyRing, orderId: string): Promise<number> {
  return db.transaction(async (tx) => {
    // A code still held by the order's buyer: an account's, or a guest's (custodial, never moved).
    // The order is locked before its keys, in the erasure's order (shredGuestOrders.ts).
    const rows = await queryRows<DeliveredRow>(
      tx,
      sql`SELECT k.id, k.shop_id, k.batch_id, k.leaf_index, k.ciphertext, o.buyer_account_id, o.contact,
                 g.data_key_wrapped AS order_key_wrapped, g.master_key_id AS order_master_key_id
          FROM orders o JOIN entitlements e ON e.order_id = o.id JOIN keys k ON k.id = e.key_id
            LEFT JOIN order_data_keys g ON g.order_id = o.id
          WHERE o.id = ${orderId} AND k.sealed_for_account_id IS NULL AND k.sealed_for_order_id IS NULL AND e.state <> 'revoked'
            AND (e.owner_account_id = o.buyer_account_id OR (o.buyer_account_id IS NULL AND e.owner_account_id IS NULL AND e.owner_wallet IS NULL))
          ORDER BY k.id FOR KEY SHARE OF o FOR NO KEY UPDATE OF k`,
    );
    if (rows.length === 0) return 0;
    const first = rows[0]!;
    const ids = integerArrayLiteral(rows.map((row) => BigInt(row.id)));
    const holder: Holder = first.buyer_account_id === null ? { order: orderId } : { account: BigInt(first.buyer_account_id) };
    const sealing = "account" in holder ? await accountSealingKey(tx, ring, holder.account) : guestSealingKey(ring, first);
    if (!sealing) {
      await tx.execute(sql`UPDATE keys SET ciphertext = decode(repeat('00', octet_length(ciphertext)), 'hex') WHERE id = ANY(${ids}::bigint[])`);
      return 0;
    }
    const shopKeys = new Map<string, Promise<Buffer>>();
    const sealed = await Promise.all(
      rows.map(async (row) => {
        const position = { shopId: BigInt(row.shop_id), batchId: BigInt(row.batch_id), leafIndex: row.leaf_index };
        const code = await openDeliveredCode(tx, ring, { ...position, ciphertext: row.ciphertext, sealedForAccountId: null }, shopKeys);
        return encryptSecret(sealing.key, code, holderAad(position, holder));
      }),
    );
    const update = sql`UPDATE keys k SET ciphertext = m.ciphertext,
          ${"account" in holder ? sql`sealed_for_account_id = ${holder.account}` : sql`sealed_for_order_id = ${orderId}`}
        FROM unnest(${ids}::bigint[], ${byteaArrayLiteral(sealed)}::bytea[]) AS m(id, ciphertext)`;
    // A guest order's first delivery stores its new key with the codes, in one statement.
    if (sealing.fresh) {
      await tx.execute(
        sql`WITH stored AS (INSERT INTO order_data_keys (order_id, data_key_wrapped, master_key_id)
                            VALUES (${orderId}, ${sealing.fresh.dataKeyWrapped}, ${sealing.fresh.masterKeyId}) RETURNING order_id)
            ${update}, stored WHERE k.id = m.id`,
      );
    } else {
      await tx.execute(sql`${update} WHERE k.id = m.id`);
    }
    return rows.length;
  });
}

/**
 * sealOrderKeysForBuyer after a delivery has committed (the fulfilment worker, a dispute's
 * replacement): a failure is logged, not thrown. The codes then stay under the shop's key, which the
 * buyer reads as well; a redelivered job re-seals them, and an erasure overwrites them. Failing the
 * delivery's caller would not deliver again.
 */
export async function sealOrderKeysOrWarn(
  db: Drizzle,
  ring: MasterKeyRing,
  logger: { warn: (fields: object, message: string) => void },
  orderId: string,
): Promise<void> {
  try {
    await sealOrderKeysForBuyer(db, ring, orderId);
  } catch (error) {
    logger.warn({ orderId, err: { message: (error as Error).message } }, "re-sealing delivered keys for the buyer failed");
  }
}

/**
 * A guest order's data key: its stored one, or a new one to store with the codes; undefined when
 * the guest was erased (the order row, key-share locked by the caller, says so).
 */
function guestSealingKey(ring: MasterKeyRing, row: DeliveredRow): SealingKey | undefined {
  if (row.contact === erasedContact) return undefined;
  if (row.order_key_wrapped && row.order_master_key_id) return { key: unwrapDataKey(ring, row.order_key_wrapped, row.order_master_key_id) };
  const key = randomBytes(dataKeyBytes);
  return { key, fresh: wrapDataKey(ring, key) };
}

async function accountSealingKey(db: Drizzle, ring: MasterKeyRing, accountId: bigint): Promise<SealingKey | undefined> {
  const key = await sealingKeyOf(db, ring, accountId);
  return key && { key };
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
