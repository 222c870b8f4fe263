// Decrypts one entitlement's code. Callers decide who may see it (the current owner in
// custody, or the wallet holder proven by signature) before calling; the plaintext is returned
// to that caller only and never logged or stored.
import { toHex, type Hex } from "viem";
import { openDeliveredCode } from "../../keys/buyerSeal.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export async function readEntitlementCode(db: Drizzle, ring: MasterKeyRing, entitlementId: bigint): Promise<string> {
  const row = await queryOne<{
    shop_id: bigint;
    batch_id: bigint;
    leaf_index: number;
    ciphertext: Buffer;
    sealed_for_account_id: bigint | null;
    sealed_for_order_id: string | null;
  }>(
    db,
    sql`SELECT k.shop_id, k.batch_id, k.leaf_index, k.ciphertext, k.sealed_for_account_id, k.sealed_for_order_id FROM entitlements e JOIN keys k ON k.id = e.key_id WHERE e.id = ${entitlementId}`,
  );
  if (!row) throw new Error(`readEntitlementCode: no entitlement ${entitlementId}`);
  // Under the shop's key, or its buyer's once delivered (an account's, or a guest order's: api/keys/buyerSeal.ts).
  return openDeliveredCode(db, ring, {
    shopId: BigInt(row.shop_id),
    batchId: BigInt(row.batch_id),
    leafIndex: row.leaf_index,
    ciphertext: row.ciphertext,
    sealedForAccountId: row.sealed_for_account_id === null ? null : BigInt(row.sealed_for_account_id),
    sealedForOrderId: row.sealed_for_order_id,
  });
}

/**
 * The salt of an entitlement's key commitment, released with its code at reveal (and only
 * then: docs/certificate.md, "Sealed means sealed"), so the holder can check the code against
 * the commitment a certificate proves. The same callers, under the same checks, as the code.
 */
export async function readEntitlementSalt(db: Drizzle, entitlementId: bigint): Promise<Hex> {
  const row = await queryOne<{ salt: Buffer }>(db, sql`SELECT k.salt FROM entitlements e JOIN keys k ON k.id = e.key_id WHERE e.id = ${entitlementId}`);
  if (!row) throw new Error(`readEntitlementSalt: no entitlement ${entitlementId}`);
  return toHex(row.salt);
}
