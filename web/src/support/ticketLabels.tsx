// Labels shared by the ticket screens: the category's name and the SLA and unread flags.
import { formatDateTime } from "../format.ts";
import { useI18n, type useI18n as UseI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import type { Ticket } from "./useTicketLive.ts";

export const ticketCategories = ["key_invalid", "key_already_used", "wrong_product", "not_received", "other"] as const;

export function categoryLabel(t: ReturnType<typeof UseI18n>["t"], category: Ticket["category"]): string {
  return t(`tickets.category.${category}` as MessageKey);
}

export function TicketFlags(props: { ticket: Ticket; unread?: number }) {
  const { t, lang } = useI18n();
  const { ticket } = props;
  return (
    <span className="small ticket-flags">
      {ticket.overdue && (
        <span className="badge badge-warning" data-testid="ticket-overdue">
          {t("tickets.overdue")}
        </span>
      )}{" "}
      {ticket.state === "open" && !ticket.merchantFirstReplyAt && !ticket.overdue && (
        <span className="muted">{t("tickets.dueBy", { when: formatDateTime(ticket.firstReplyDueAt, lang) })}</span>
      )}{" "}
      {props.unread ? (
        <span className="badge" data-testid="ticket-unread">
          {t("tickets.unreadCount", { count: props.unread })}
        </span>
      ) : null}
    </span>
  );
}
