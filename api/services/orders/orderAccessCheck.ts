// Loads an order for whoever asks, or refuses with the same answer as for a missing order.
// Who may see it, and with which view, is decided by orderViewerOf (orderViewer.ts).
import { AppError } from "../../../core/errors.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { getOrderRecord, type OrderRecord } from "./orderRecord.ts";
import { orderViewerOf, type OrderViewer } from "./orderViewer.ts";

export async function loadOrderFor(
  db: Drizzle,
  pepper: string,
  orderId: string,
  who: { account?: AuthenticatedAccount; accessToken?: string },
): Promise<{ order: OrderRecord; viewer: OrderViewer }> {
  const order = await getOrderRecord(db, orderId);
  // The same answer for "no such order" and "not yours", so order numbers cannot be probed.
  // Built only when refused: an error captures a stack, which every order page paid for.
  const denied = () => new AppError("not_found", `No order ${orderId} that you can see. Guests: look it up with contact and query password.`);
  if (!order) throw denied();
  const viewer = await orderViewerOf({
    pepper,
    order: { id: orderId, shopId: order.shopId, buyerAccountId: order.buyerAccountId, accessGeneration: order.accessGeneration },
    who,
    shopOwnerOf: async (shopId) => {
      const shop = await queryOne<{ owner_account_id: bigint }>(db, sql`SELECT owner_account_id FROM shops WHERE id = ${shopId}`);
      return shop ? BigInt(shop.owner_account_id) : undefined;
    },
  });
  if (!viewer) throw denied();
  return { order, viewer };
}
