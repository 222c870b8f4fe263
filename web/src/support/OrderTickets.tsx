// The order page's after-sales section: the order's tickets and a form to open one, on the
// whole order or on one of its keys (only its buyer sees the form; the API refuses anyone else).
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { Order } from "../api/types.ts";
import { ErrorNotice, Field } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";
import { categoryLabel, ticketCategories } from "./ticketLabels.tsx";
import { TicketList } from "./TicketList.tsx";

const ticketableStates = new Set(["paid", "fulfilled", "refund_pending", "refunded", "failed"]);

export function OrderTickets(props: { order: Order; token: string | undefined; buyer: boolean }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const { navigate } = useRouter();
  const orderId = props.order.id;
  const tickets = useAsync(
    (signal) => answer(api.GET("/api/orders/{orderId}/tickets", { params: { path: { orderId }, query: props.token ? { token: props.token } : {} }, signal })),
    [api, orderId, props.token],
  );
  const [category, setCategory] = useState<(typeof ticketCategories)[number]>("key_invalid");
  const [keyId, setKeyId] = useState("");
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const open = useFormSubmit(async () => {
    const opened = await answer(
      api.POST("/api/orders/{orderId}/tickets", {
        params: { path: { orderId } },
        body: { category, subject, body, locale: lang === "zh" ? "zh-CN" : "en", ...(keyId ? { keyId } : {}) },
        headers: props.token ? { "x-order-token": props.token } : {},
      }),
    );
    navigate(`/tickets/${opened.ticket.id}${props.token ? `?token=${encodeURIComponent(props.token)}` : ""}`);
  });
  return (
    <section className="stack" aria-labelledby="order-tickets-title">
      <h2 id="order-tickets-title">{t("tickets.title")}</h2>
      <ErrorNotice error={tickets.error} onRetry={tickets.reload} />
      {tickets.data && tickets.data.items.length > 0 && <TicketList items={tickets.data.items} token={props.token} testId="order-tickets" />}
      {props.buyer && ticketableStates.has(props.order.state) && (
        <form className="card stack" onSubmit={open.submit} aria-label={t("tickets.open")}>
          <Field label={t("tickets.categoryLabel")} htmlFor="ticket-category">
            <select
              id="ticket-category"
              value={category}
              onChange={(event) => setCategory(event.target.value as typeof category)}
              data-testid="ticket-category"
            >
              {ticketCategories.map((name) => (
                <option key={name} value={name}>
                  {categoryLabel(t, name)}
                </option>
              ))}
            </select>
          </Field>
          {props.order.items.length > 0 && (
            <Field label={t("tickets.key")} htmlFor="ticket-key">
              <select id="ticket-key" value={keyId} onChange={(event) => setKeyId(event.target.value)} data-testid="ticket-key">
                <option value="">{t("tickets.wholeOrder")}</option>
                {props.order.items.map((item, index) => (
                  <option key={item.keyId} value={item.keyId}>
                    {t("tickets.keyNumber", { number: index + 1 })}
                  </option>
                ))}
              </select>
            </Field>
          )}
          <Field label={t("tickets.subject")} htmlFor="ticket-subject">
            <input
              id="ticket-subject"
              required
              maxLength={120}
              value={subject}
              onChange={(event) => setSubject(event.target.value)}
              data-testid="ticket-subject"
            />
          </Field>
          <Field label={t("tickets.describe")} htmlFor="ticket-body">
            <textarea
              id="ticket-body"
              required
              rows={4}
              maxLength={4000}
              value={body}
              onChange={(event) => setBody(event.target.value)}
              data-testid="ticket-body"
            />
          </Field>
          <ErrorNotice error={open.error} />
          <button type="submit" className="button button-primary" disabled={open.busy} data-testid="ticket-open">
            {t("tickets.open")}
          </button>
        </form>
      )}
    </section>
  );
}
