// The shop's ticket inbox (docs/support.md): newest first, unread counts, overdue first replies
// flagged, filtered by open, closed or overdue; canned replies are kept here too.
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Field, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";
import { TicketList } from "../support/TicketList.tsx";

const filters = ["open", "overdue", "closed"] as const;

export function TicketsTab(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [filter, setFilter] = useState<(typeof filters)[number]>("open");
  const inbox = useAsync(
    (signal) =>
      answer(
        api.GET("/api/shops/{shopId}/tickets", {
          params: { path: { shopId: props.shop.id }, query: filter === "overdue" ? { state: "open", overdue: "1" } : { state: filter } },
          signal,
        }),
      ),
    [api, props.shop.id, filter],
  );
  return (
    <div className="stack">
      <Field label={t("tickets.filter")} htmlFor="tickets-filter">
        <select id="tickets-filter" value={filter} onChange={(event) => setFilter(event.target.value as typeof filter)} data-testid="tickets-filter">
          {filters.map((name) => (
            <option key={name} value={name}>
              {t(`tickets.filter.${name}`)}
            </option>
          ))}
        </select>
      </Field>
      <ErrorNotice error={inbox.error} onRetry={inbox.reload} />
      {inbox.loading && !inbox.data && <Spinner />}
      {inbox.data?.items.length === 0 && <EmptyState title={t("tickets.inboxEmpty")} />}
      {inbox.data && inbox.data.items.length > 0 && <TicketList items={inbox.data.items} testId="ticket-inbox" />}
      <CannedReplies shopId={props.shop.id} />
    </div>
  );
}

function CannedReplies(props: { shopId: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const replies = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/canned-replies", { params: { path: { shopId: props.shopId } }, signal })),
    [api, props.shopId],
  );
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const save = useFormSubmit(async () => {
    await answer(api.POST("/api/shops/{shopId}/canned-replies", { params: { path: { shopId: props.shopId } }, body: { title, body } }));
    setTitle("");
    setBody("");
    replies.reload();
  });
  return (
    <section className="stack" aria-labelledby="canned-title">
      <h2 id="canned-title">{t("tickets.canned")}</h2>
      {replies.data && replies.data.items.length > 0 && (
        <ul className="list card" data-testid="canned-replies">
          {replies.data.items.map((reply) => (
            <li key={reply.id} className="list-row">
              <strong>{reply.title}</strong> <span className="muted small">{reply.body}</span>
            </li>
          ))}
        </ul>
      )}
      <form className="card stack" onSubmit={save.submit} aria-label={t("tickets.cannedSave")}>
        <Field label={t("tickets.cannedTitle")} htmlFor="canned-new-title">
          <input id="canned-new-title" required maxLength={100} value={title} onChange={(event) => setTitle(event.target.value)} data-testid="canned-title" />
        </Field>
        <Field label={t("tickets.cannedBody")} htmlFor="canned-new-body">
          <textarea
            id="canned-new-body"
            required
            rows={3}
            maxLength={4000}
            value={body}
            onChange={(event) => setBody(event.target.value)}
            data-testid="canned-body"
          />
        </Field>
        <ErrorNotice error={save.error} />
        <button type="submit" className="button" disabled={save.busy} data-testid="canned-save">
          {t("tickets.cannedSave")}
        </button>
      </form>
    </section>
  );
}
