// A list of tickets (the buyer's, an order's, a shop's inbox): subject, category, state, the
// caller's unread count and the SLA flag, each linking to the ticket page.
import type { Schemas } from "../api/client.ts";
import { StateBadge } from "../components/ui.tsx";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { categoryLabel, TicketFlags } from "./ticketLabels.tsx";

export function TicketList(props: { items: Schemas["TicketPage"]["items"]; token?: string; testId: string }) {
  const { t, lang } = useI18n();
  return (
    <ul className="list card" data-testid={props.testId}>
      {props.items.map((ticket) => (
        <li key={ticket.id} className="list-row order-row" data-testid={`ticket-row-${ticket.id}`}>
          <div className="order-row-main">
            <Link to={`/tickets/${ticket.id}${props.token ? `?token=${encodeURIComponent(props.token)}` : ""}`} className="order-row-title">
              #{ticket.id} {ticket.subject}
            </Link>
            <span className="small muted">
              {categoryLabel(t, ticket.category)} · <span className="mono">{ticket.orderId}</span>
            </span>
          </div>
          <div className="order-row-side">
            <TicketFlags ticket={ticket} unread={ticket.unread} />
            <StateBadge state={ticket.state} />
          </div>
          <span className="muted small order-row-date">{formatDateTime(ticket.lastMessageAt, lang)}</span>
        </li>
      ))}
    </ul>
  );
}
