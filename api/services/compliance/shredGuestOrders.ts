// The codes of guest orders, at their guest's erasure (docs/compliance.md, "Data rights"): shared by
// the guest's own erasure (eraseGuestOrder.ts) and an account's, which takes the guest orders placed
// under its email too (dataRights.ts). Codes re-sealed under an order's own data key
// (api/keys/buyerSeal.ts) are crypto-shredded by deleting that key; those still under the shop's key
// (the re-seal failed or has not run yet) and still the guest's are overwritten with zeros of the
// same length, so the authenticated encryption opens under no key. The orders are locked first: a
// re-seal running at once (key-share locks on the order) either finished before, and its key is
// deleted here, or waits and then finds the contact erased.
import type { SQL } from "drizzle-orm";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type ShreddedGuestOrders = {
  /** Codes made unreadable by deleting their order's data key. */
  cryptoShredded: number;
  /** Codes still under the shop's key, overwritten. */
  overwritten: number;
  /** The deleted wrapped keys, for the caller to drop from its process's cache after commit. */
  destroyedKeys: { data_key_wrapped: Buffer; master_key_id: string }[];
};

/** `orders`: a condition on `o` (orders) naming the guest orders to shred. */
export async function shredGuestOrders(tx: Drizzle, orders: SQL): Promise<ShreddedGuestOrders> {
  await tx.execute(sql`SELECT o.id FROM orders o WHERE o.buyer_account_id IS NULL AND ${orders} ORDER BY o.id FOR UPDATE`);
  const sealed = await queryRows(tx, sql`SELECT k.id FROM keys k JOIN orders o ON o.id = k.sealed_for_order_id WHERE o.buyer_account_id IS NULL AND ${orders}`);
  const destroyedKeys = await queryRows<{ data_key_wrapped: Buffer; master_key_id: string }>(
    tx,
    sql`DELETE FROM order_data_keys g USING orders o WHERE o.id = g.order_id AND o.buyer_account_id IS NULL AND ${orders}
        RETURNING g.data_key_wrapped, g.master_key_id`,
  );
  const overwritten = await queryRows(
    tx,
    sql`UPDATE keys k SET ciphertext = decode(repeat('00', octet_length(k.ciphertext)), 'hex')
        FROM entitlements e JOIN orders o ON o.id = e.order_id
        WHERE e.key_id = k.id AND k.sealed_for_account_id IS NULL AND k.sealed_for_order_id IS NULL
          AND o.buyer_account_id IS NULL AND ${orders} AND e.owner_account_id IS NULL AND e.owner_wallet IS NULL
        RETURNING k.id`,
  );
  return { cryptoShredded: sealed.length, overwritten: overwritten.length, destroyedKeys };
}
