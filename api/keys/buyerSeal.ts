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
import { queryOne, queryPreparedOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { createGroupCommit, type GroupCommit, type GroupCommitOptions } from "../../core/store/groupCommit.ts";
import { byteaArrayLiteral, integerArrayLiteral, textArrayLiteral } from "../../core/store/sqlArrays.ts";
import { createShopDataKey, dataKeyBytes, decryptSecret, encryptSecret, heldKeyAad, keyAad, type ShopDataKey, unwrapDataKey, wrapDataKey } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";
import { loadShopDataKey, loadShopDataKeys } from "./shopDataKey.ts";

export type SealedKeyRow = {
  shopId: bigint;
  batchId: bigint;
  leafIndex: number;
  ciphertext: Uint8Array;
  sealedForAccountId: bigint | null;
  /**
   * The holder account's wrapped data key when the caller read it with the row (a join on
   * account_data_keys, null when it was destroyed): saves the read. Left out, it is read here.
   */
  holderKey?: { dataKeyWrapped: Uint8Array; masterKeyId: string } | null;
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

const erasedCode = () => new AppError("not_found", "This key's code was erased with its buyer's personal data and cannot be shown.");

/** The buyer's data key for reading a code sealed under it; gone once the buyer was erased. */
export async function loadAccountDataKey(db: Drizzle, ring: MasterKeyRing, accountId: bigint): Promise<Buffer> {
  const row = await queryOne<{ data_key_wrapped: Uint8Array; master_key_id: string }>(
    db,
    sql`SELECT data_key_wrapped, master_key_id FROM account_data_keys WHERE account_id = ${accountId}`,
  );
  if (!row) throw erasedCode();
  return unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id);
}

/** A guest order's data key for reading a code sealed under it; gone once the guest was erased. */
export async function loadOrderDataKey(db: Drizzle, ring: MasterKeyRing, orderId: string): Promise<Buffer> {
  // Prepared: every view of a delivered guest order reads it.
  const row = await queryPreparedOne<{ data_key_wrapped: Uint8Array; master_key_id: string }>(
    db,
    "order_data_key",
    sql`SELECT data_key_wrapped, master_key_id FROM order_data_keys WHERE order_id = ${orderId}`,
  );
  if (!row) throw erasedCode();
  return unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id);
}

async function accountDataKey(db: Drizzle, ring: MasterKeyRing, account: bigint, read: SealedKeyRow["holderKey"]): Promise<Buffer> {
  if (read === undefined) return loadAccountDataKey(db, ring, account);
  if (read === null) throw erasedCode();
  return unwrapDataKey(ring, read.dataKeyWrapped, read.masterKeyId);
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
    else dataKey = "account" in holder ? accountDataKey(db, ring, holder.account, row.holderKey) : loadOrderDataKey(db, ring, holder.order);
    keys.set(name, dataKey);
  }
  return decryptSecret(await dataKey, Buffer.from(row.ciphertext), holder === null ? keyAad(position) : holderAad(position, holder));
}

/**
 * Re-seals the keys delivered by an order under its buyer's data key (the account's, or a guest
 * order's own), once: keys already re-sealed are skipped, so a redelivered job (or a dispute's
 * replacement key, sealed by the same call) seals only what is new. Answers how many were re-sealed;
 * an erased buyer's codes are overwritten (zeros of the same length) instead.
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
  buyer_account_id: bigint | null;
  contact: string | null;
  order_key_wrapped: Uint8Array | null;
  order_master_key_id: string | null;
};

/**
 * sealOrderKeysForBuyer for many orders in one transaction of a few statements, whatever their
 * number: the keys still under their shop's key with their orders (and a guest order's key) in one
 * read; the accounts' keys in one read, first-time buyers' keys in one insert; guest orders' new
 * keys in one insert; every key rewritten in one update. Answers each order's count, in order.
 * Locks: each order FOR KEY SHARE before its keys FOR NO KEY UPDATE, in key order (the guest
 * erasure locks the order FOR UPDATE, shredGuestOrders.ts), and each buyer's account FOR KEY SHARE
 * (the account erasure's FOR UPDATE).
 */
export async function sealOrdersKeysForBuyers(db: Drizzle, ring: MasterKeyRing, orderIds: readonly string[]): Promise<number[]> {
  return db.transaction(async (tx) => {
    // A code still held by the order's buyer: an account's, or a guest's (custodial, never moved).
    const rows = await queryRows<UnsealedRow>(
      tx,
      sql`SELECT k.id, o.id AS order_id, k.shop_id, k.batch_id, k.leaf_index, k.ciphertext, o.buyer_account_id, o.contact,
                 g.data_key_wrapped AS order_key_wrapped, g.master_key_id AS order_master_key_id
          FROM orders o JOIN entitlements e ON e.order_id = o.id JOIN keys k ON k.id = e.key_id
            LEFT JOIN order_data_keys g ON g.order_id = o.id
          WHERE o.id = ANY(${textArrayLiteral(orderIds)}::text[]) AND k.sealed_for_account_id IS NULL AND k.sealed_for_order_id IS NULL
            AND e.state <> 'revoked'
            AND (e.owner_account_id = o.buyer_account_id OR (o.buyer_account_id IS NULL AND e.owner_account_id IS NULL AND e.owner_wallet IS NULL))
          ORDER BY k.id FOR KEY SHARE OF o FOR NO KEY UPDATE OF k`,
    );
    if (rows.length === 0) return orderIds.map(() => 0);
    const accountKeys = await accountSealingKeys(
      tx,
      ring,
      rows.flatMap((row) => (row.buyer_account_id === null ? [] : [BigInt(row.buyer_account_id)])),
    );
    const guestKeys = await guestSealingKeys(tx, ring, rows);
    // The keys' shops (a docked order's keys are its supplier's), each data key read once.
    const shopIds = [...new Set(rows.map((row) => BigInt(row.shop_id)))];
    const shopKeys = new Map((await loadShopDataKeys(tx, ring, shopIds)).map((key, index) => [shopIds[index]!, key]));
    const rewritten = rows.map((row) => {
      const holder: Holder = row.buyer_account_id === null ? { order: row.order_id } : { account: BigInt(row.buyer_account_id) };
      const sealing = "account" in holder ? accountKeys.get(holder.account) : guestKeys.get(holder.order);
      // An erased buyer: the code is overwritten, under no key (zeros of the same length).
      if (!sealing) return { holder: null, ciphertext: Buffer.alloc(row.ciphertext.byteLength) };
      const position = { shopId: BigInt(row.shop_id), batchId: BigInt(row.batch_id), leafIndex: row.leaf_index };
      const code = decryptSecret(shopKeys.get(position.shopId)!, row.ciphertext, keyAad(position));
      return { holder, ciphertext: encryptSecret(sealing, code, holderAad(position, holder)) };
    });
    const accountOf = (holder: Holder | null) => (holder !== null && "account" in holder ? String(holder.account) : null);
    const orderOf = (holder: Holder | null) => (holder !== null && "order" in holder ? holder.order : null);
    await tx.execute(
      sql`UPDATE keys k SET ciphertext = m.ciphertext, sealed_for_account_id = m.account, sealed_for_order_id = m.guest_order
          FROM unnest(${integerArrayLiteral(rows.map((row) => BigInt(row.id)))}::bigint[], ${byteaArrayLiteral(rewritten.map((row) => row.ciphertext))}::bytea[],
                      ${textArrayLiteral(rewritten.map((row) => accountOf(row.holder)))}::bigint[],
                      ${textArrayLiteral(rewritten.map((row) => orderOf(row.holder)))}::text[]) AS m(id, ciphertext, account, guest_order)
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
 * Each buyer account's data key for sealing, created on first use (one insert for every first-time
 * buyer of the batch); none for an erased account. The accounts are read FOR KEY SHARE, in id order
 * so two batches wait for each other instead of deadlocking. The unwrap is cached by the ring
 * (keyed by the wrapped bytes), so a returning buyer costs no master-key operation.
 */
async function accountSealingKeys(tx: Drizzle, ring: MasterKeyRing, buyers: readonly bigint[]): Promise<Map<bigint, Buffer>> {
  const keys = new Map<bigint, Buffer>();
  if (buyers.length === 0) return keys;
  const accounts = await queryRows<{ id: bigint; erased: boolean; data_key_wrapped: Uint8Array | null; master_key_id: string | null }>(
    tx,
    sql`SELECT a.id, a.erased_at IS NOT NULL AS erased, d.data_key_wrapped, d.master_key_id
        FROM accounts a LEFT JOIN account_data_keys d ON d.account_id = a.id
        WHERE a.id = ANY(${integerArrayLiteral([...new Set(buyers)])}::bigint[]) ORDER BY a.id FOR KEY SHARE OF a`,
  );
  const fresh: [bigint, ShopDataKey][] = [];
  for (const account of accounts) {
    if (account.erased) continue;
    if (account.data_key_wrapped && account.master_key_id) keys.set(BigInt(account.id), unwrapDataKey(ring, account.data_key_wrapped, account.master_key_id));
    else fresh.push([BigInt(account.id), createShopDataKey(ring)]);
  }
  if (fresh.length === 0) return keys;
  // Two first deliveries at once: the second keeps the first's key.
  const stored = await queryRows<{ account_id: bigint; data_key_wrapped: Uint8Array; master_key_id: string }>(
    tx,
    sql`INSERT INTO account_data_keys (account_id, data_key_wrapped, master_key_id)
        SELECT * FROM unnest(${integerArrayLiteral(fresh.map(([buyer]) => buyer))}::bigint[], ${byteaArrayLiteral(fresh.map(([, key]) => key.dataKeyWrapped))}::bytea[],
                             ${textArrayLiteral(fresh.map(([, key]) => key.masterKeyId))}::text[])
        ON CONFLICT (account_id) DO UPDATE SET account_id = EXCLUDED.account_id RETURNING account_id, data_key_wrapped, master_key_id`,
  );
  for (const row of stored) keys.set(BigInt(row.account_id), unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id));
  return keys;
}

/**
 * Each guest order's data key for sealing: its stored one, or a new one stored here (one insert for
 * the batch); none once the guest was erased (the order row, key-share locked by the caller, says
 * so). No ON CONFLICT: the order's keys are locked, so a conflict is a fault, and it must abort the
 * transaction rather than seal codes under a key that is not the one stored.
 */
async function guestSealingKeys(tx: Drizzle, ring: MasterKeyRing, rows: readonly UnsealedRow[]): Promise<Map<string, Buffer>> {
  const keys = new Map<string, Buffer>();
  const fresh: [string, ShopDataKey][] = [];
  for (const row of rows) {
    if (row.buyer_account_id !== null || row.contact === erasedContact || keys.has(row.order_id)) continue;
    if (row.order_key_wrapped && row.order_master_key_id) {
      keys.set(row.order_id, unwrapDataKey(ring, row.order_key_wrapped, row.order_master_key_id));
    } else {
      const key = randomBytes(dataKeyBytes);
      keys.set(row.order_id, key);
      fresh.push([row.order_id, wrapDataKey(ring, key)]);
    }
  }
  if (fresh.length > 0) {
    await tx.execute(
      sql`INSERT INTO order_data_keys (order_id, data_key_wrapped, master_key_id)
          SELECT * FROM unnest(${textArrayLiteral(fresh.map(([order]) => order))}::text[], ${byteaArrayLiteral(fresh.map(([, key]) => key.dataKeyWrapped))}::bytea[],
                               ${textArrayLiteral(fresh.map(([, key]) => key.masterKeyId))}::text[])`,
    );
  }
  return keys;
}

/**
 * sealOrderKeysForBuyer after a delivery has committed (a dispute's replacement, the fulfilment
 * worker when its batch did not answer): a failure is logged, not thrown. The codes then stay under
 * the shop's key, which the buyer reads as well; a redelivered job re-seals them, and an erasure
 * overwrites them. Failing the delivery's caller would not deliver again.
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
