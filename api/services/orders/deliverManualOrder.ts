// Manual delivery: the merchant types what the buyer receives (an account, a code, a note);
// it is encrypted under the shop's data key and reaches the buyer on the order page.
import { AppError } from "../../../core/errors.ts";
import { decryptSecret, encryptSecret } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

function aad(orderId: string): string {
  return `keyledger:manual-delivery:v1:${orderId}`;
}

export async function deliverManualOrder(
  db: Drizzle,
  ring: MasterKeyRing,
  input: { orderId: string; shopId: bigint; content: string; accountId: bigint },
): Promise<void> {
  const dataKey = await loadShopDataKey(db, ring, input.shopId);
  const encrypted = encryptSecret(dataKey, input.content, aad(input.orderId));
  const row = await queryOne<{ id: string }>(
    db,
    sql`UPDATE orders o SET state = 'fulfilled', fulfilled_at = now(), delivery_encrypted = ${encrypted}, delivered_by = ${input.accountId}
        FROM products p
        WHERE o.id = ${input.orderId} AND o.shop_id = ${input.shopId} AND p.id = o.product_id AND p.delivery_mode = 'manual' AND o.state = 'paid'
        RETURNING o.id`,
  );
  if (!row) throw new AppError("invalid_state", "Only a paid manual-delivery order of this shop can be delivered (it may be delivered already).");
}

export async function readManualDelivery(db: Drizzle, ring: MasterKeyRing, orderId: string, shopId: bigint): Promise<string | null> {
  const row = await queryOne<{ delivery_encrypted: Buffer | null }>(db, sql`SELECT delivery_encrypted FROM orders WHERE id = ${orderId}`);
  if (!row?.delivery_encrypted) return null;
  return decryptSecret(await loadShopDataKey(db, ring, shopId), Buffer.from(row.delivery_encrypted), aad(orderId));
}
