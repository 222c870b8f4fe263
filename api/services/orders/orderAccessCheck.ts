// Who may see an order: its buyer account, anyone holding its access token (guests), its
// shop's merchant, an admin or an auditor (only the buyer sees codes: the order page builds the others' view without them).
import { AppError } from "../../errors.ts";
import type { AuthenticatedAccount } from "../../http/auth.ts";
import { queryOne, sql, type Drizzle } from "../../store/database.ts";
import { checkOrderAccessToken } from "./orderAccess.ts";
import { getOrderRecord, type OrderRecord } from "./orderRecord.ts";

export type OrderViewer = "buyer" | "merchant" | "staff";

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
  if (who.accessToken && checkOrderAccessToken(pepper, order, who.accessToken)) return { order, viewer: "buyer" };
  const account = who.account;
  if (!account) throw denied();
  if (order.buyerAccountId === account.id) return { order, viewer: "buyer" };
  if (account.roles.includes("admin") || account.roles.includes("auditor")) return { order, viewer: "staff" };
  const shop = await queryOne<{ owner_account_id: bigint }>(db, sql`SELECT owner_account_id FROM shops WHERE id = ${order.shopId}`);
  if (shop && BigInt(shop.owner_account_id) === account.id) return { order, viewer: "merchant" };
  throw denied();
}
