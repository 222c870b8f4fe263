// Manual delivery: the merchant types what the buyer receives (an account, a code, a note);
// it is encrypted under the shop's data key and reaches the buyer on the order page.
import { AppError } from "../../../core/errors.ts";
import { decryptSecret, encryptSecret } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { assertShopManager } from "../shops/shops.ts";
import { getOrderRecord } from "./orderRecord.ts";

/** The additional data binding a delivery's ciphertext to its order (the cross-instance purchase delivers with it too). */
export function manualDeliveryAad(orderId: string): string {
  return `keyledger:manual-delivery:v1:${orderId}`;
}

/**
 * The shop's merchant (or an admin) delivers a paid manual-delivery order: an unknown order is
 * 404, another shop's 403 (assertShopManager), one that is not a paid manual-delivery order 409,
 * and so is one held for risk review until the merchant approves it (docs/abuse.md): delivering
 * it by hand would skip the review that the automatic path waits for.
 */
export async function deliverManualOrder(
  db: Drizzle,
  ring: MasterKeyRing,
  input: { orderId: string; account: AuthenticatedAccount; content: string },
): Promise<{ id: string; shopId: bigint }> {
  const order = await getOrderRecord(db, input.orderId);
  if (!order) throw new AppError("not_found", `No order ${input.orderId}.`);
  await assertShopManager(db, order.shopId, input.account);
  const review = await queryOne<{ risk_review: string | null }>(db, sql`SELECT risk_review FROM orders WHERE id = ${order.id}`);
  if (review?.risk_review === "pending" || review?.risk_review === "rejected") {
    throw new AppError("invalid_state", "This order is held for risk review: approve it in the review queue before delivering it.");
  }
  const dataKey = await loadShopDataKey(db, ring, order.shopId);
  const encrypted = encryptSecret(dataKey, input.content, manualDeliveryAad(order.id));
  const row = await queryOne<{ id: string }>(
    db,
    sql`UPDATE orders o SET state = 'fulfilled', fulfilled_at = now(), delivery_encrypted = ${encrypted}, delivered_by = ${input.account.id}
        FROM products p
        WHERE o.id = ${order.id} AND o.shop_id = ${order.shopId} AND p.id = o.product_id AND p.delivery_mode = 'manual' AND o.state = 'paid'
          AND (o.risk_review IS NULL OR o.risk_review = 'approved')
        RETURNING o.id`,
  );
  if (!row) throw new AppError("invalid_state", "Only a paid manual-delivery order of this shop can be delivered (it may be delivered already).");
  return { id: order.id, shopId: order.shopId };
}

export async function readManualDelivery(db: Drizzle, ring: MasterKeyRing, orderId: string, shopId: bigint): Promise<string | null> {
  const row = await queryOne<{ delivery_encrypted: Buffer | null }>(
    db,
    sql`SELECT delivery_encrypted FROM orders WHERE id = ${orderId} AND shop_id = ${shopId}`,
  );
  if (!row?.delivery_encrypted) return null;
  return decryptSecret(await loadShopDataKey(db, ring, shopId), Buffer.from(row.delivery_encrypted), manualDeliveryAad(orderId));
}
