// Who a ticket's notification goes to, in which language, and the link they follow: the buyer
// (the order's account, or a guest's contact when it is an email address) or the shop's owner.
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { issueOrderAccessToken } from "../orders/orderAccess.ts";
import type { MailLocale, TicketRecord, TicketSide } from "./ticketRecord.ts";

export type TicketMailRecipient = { to: string; locale: MailLocale; ticketUrl: string };

export async function ticketMailRecipient(
  db: Drizzle,
  ticket: TicketRecord,
  side: TicketSide,
  links: { publicUrl: string; pepper: string; accessTokenTtlSeconds: number },
): Promise<TicketMailRecipient | undefined> {
  const ticketUrl = `${links.publicUrl}/tickets/${ticket.id}`;
  if (side === "merchant") {
    const owner = await queryOne<{ email: string; locale: MailLocale }>(
      db,
      sql`SELECT a.email, a.locale FROM shops s JOIN accounts a ON a.id = s.owner_account_id WHERE s.id = ${ticket.shopId}`,
    );
    return owner ? { to: owner.email, locale: owner.locale, ticketUrl } : undefined;
  }
  const buyer = await queryOne<{ contact: string | null; access_generation: number; email: string | null; locale: MailLocale | null }>(
    db,
    sql`SELECT o.contact, o.access_generation, a.email, a.locale FROM orders o LEFT JOIN accounts a ON a.id = o.buyer_account_id WHERE o.id = ${ticket.orderId}`,
  );
  if (!buyer) return undefined;
  if (buyer.email) return { to: buyer.email, locale: buyer.locale ?? ticket.buyerLocale, ticketUrl };
  if (!buyer.contact?.includes("@")) return undefined;
  const token = issueOrderAccessToken(links.pepper, { id: ticket.orderId, accessGeneration: buyer.access_generation }, links.accessTokenTtlSeconds);
  return { to: buyer.contact, locale: ticket.buyerLocale, ticketUrl: `${ticketUrl}?token=${encodeURIComponent(token)}` };
}
