// A dispute's replacement, inside the caller's transaction: the disputed entitlement is revoked
// (on-chain by the revocation writer, with the reason's hash), and a key of the same product is
// taken from stock and sold to the order as a new entitlement, which the issuance writer issues
// on-chain through the same exactly-once path as every sale (the contract refuses a leaf twice;
// entitlements.key_id is unique). Nothing is posted to the ledger: the buyer paid for one working
// key and gets one, and the platform charges no fee for it (docs/disputes.md).
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { revokeLockedEntitlement } from "../resale/revokeEntitlement.ts";
import { refundPosition } from "./refundDispute.ts";
import { keyBatchReleased } from "../../../core/store/keyOnSale.ts";

export type Replacement = { oldEntitlementId: bigint; newEntitlementId: bigint; newKeyId: bigint };

export async function replaceDisputedKey(
  tx: Drizzle,
  dispute: { id: bigint; order_id: string; entitlement_id: bigint | null },
  actorId: bigint,
): Promise<Replacement> {
  const old = await queryOne<{ id: bigint; state: string; product_id: bigint; owner_account_id: bigint | null }>(
    tx,
    sql`SELECT id, state, product_id, owner_account_id FROM entitlements
        WHERE order_id = ${dispute.order_id} AND state <> 'revoked' ${dispute.entitlement_id === null ? sql`` : sql`AND id = ${dispute.entitlement_id}`}
        ORDER BY id LIMIT 2 FOR UPDATE`,
  );
  if (!old) throw new AppError("invalid_state", `Order ${dispute.order_id} has no delivered key left to replace (none, or already revoked).`);
  // The key is taken before anything else is written, so an empty stock refuses with nothing written.
  // A free key: one allocated to a restocking listing is that listing's (docs/docking.md).
  const key = await queryOne<{ id: bigint; shop_id: bigint; batch_id: bigint }>(
    tx,
    sql`UPDATE keys SET status = 'sold', order_id = ${dispute.order_id}, sold_at = now(), reserved_until = NULL
        WHERE id = (SELECT id FROM keys WHERE product_id = ${old.product_id} AND status = 'available' AND allocated_product_id IS NULL
                      AND ${keyBatchReleased("keys")}
                    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, shop_id, batch_id`,
  );
  if (!key) {
    const position = await refundPosition(tx, dispute.order_id);
    throw new AppError("replacement_out_of_stock", "The product has no key in stock to replace this one. Refund the buyer instead (outcome refund).", {
      details: { refundOffered: true, refundableMinor: position ? String(position.remainingMinor) : "0" },
    });
  }
  await revokeLockedEntitlement(tx, actorId, { entitlementId: BigInt(old.id), reason: `dispute ${dispute.id}: key replaced` });
  // The new entitlement is like the sale's (fulfilOrder.ts): sealed where resale is allowed, else revealed at delivery.
  const created = await queryOne<{ id: bigint }>(
    tx,
    sql`INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id, state, revealed_at, redeem_state)
        SELECT ${key.id}, ${dispute.order_id}, ${key.shop_id}, p.id, ${key.batch_id}, ${old.owner_account_id},
               CASE WHEN p.resale_allowed THEN 'sealed' ELSE 'redeemed' END,
               CASE WHEN p.resale_allowed THEN NULL ELSE now() END,
               CASE WHEN p.resale_allowed THEN NULL ELSE 'pending' END
        FROM products p WHERE p.id = ${old.product_id}
        RETURNING id`,
  );
  await tx.execute(
    sql`INSERT INTO dispute_replacements (dispute_id, old_entitlement_id, new_entitlement_id) VALUES (${dispute.id}, ${old.id}, ${created!.id})`,
  );
  return { oldEntitlementId: BigInt(old.id), newEntitlementId: BigInt(created!.id), newKeyId: BigInt(key.id) };
}
