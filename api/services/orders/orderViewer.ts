// Who may see an order, decided without the database: its buyer account, anyone holding its
// access token (guests), its shop's merchant, an admin or an auditor; nobody else. Only the
// buyer sees codes: the order page builds the others' view without them. The shop's owner is
// looked up (a query) only when no cheaper rule has answered.
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { checkOrderAccessToken } from "./orderAccess.ts";

export type OrderViewer = "buyer" | "merchant" | "staff";

export type OrderViewerParameters = {
  pepper: string;
  /** accessGeneration: tokens of an older generation were revoked (orderAccess.ts). */
  order: { id: string; shopId: bigint; buyerAccountId: bigint | null; accessGeneration: number };
  who: { account?: AuthenticatedAccount; accessToken?: string };
  /** The account that owns the shop, or undefined when there is no such shop. */
  shopOwnerOf: (shopId: bigint) => Promise<bigint | undefined>;
};

/** The view `who` gets of the order, or undefined when they may not see it at all. */
export async function orderViewerOf({ pepper, order, who, shopOwnerOf }: OrderViewerParameters): Promise<OrderViewer | undefined> {
  if (who.accessToken && checkOrderAccessToken(pepper, order, who.accessToken)) return "buyer";
  const account = who.account;
  if (!account) return undefined;
  if (order.buyerAccountId === account.id) return "buyer";
  if (account.roles.includes("admin") || account.roles.includes("auditor")) return "staff";
  if ((await shopOwnerOf(order.shopId)) === account.id) return "merchant";
  return undefined;
}
