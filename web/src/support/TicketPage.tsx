// One ticket, for either side (the API decides which: the buyer, a guest with ?token=, the
// shop's merchant; staff read only): the conversation kept live, read marks on one's own
// messages, attachments as downloads, the reply box (with canned replies for the merchant),
// an attachment upload and closing. docs/support.md.
import { useEffect, useState } from "react";
import { answer } from "../api/client.ts";
import { EmptyState, ErrorNotice, Field, FilePicker, PageHeader, Spinner, StateBadge } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link, useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";
import { categoryLabel, TicketFlags } from "./ticketLabels.tsx";
import { useTicketLive, type Ticket, type TicketMessage } from "./useTicketLive.ts";

export default function TicketPage(props: { ticketId: string }) {
  const { t, lang } = useI18n();
  const { search } = useRouter();
  const [token] = useState(() => search.get("token") ?? undefined);
  const live = useTicketLive(props.ticketId, token);
  const { ticket, viewer, messages } = live;
  const side = viewer === "staff" ? undefined : viewer;

  // What this side sees is read: the mark moves to the last message shown.
  const { api } = useSession();
  const lastShown = messages.at(-1)?.id;
  const readMark = ticket && side ? (side === "buyer" ? ticket.buyerReadMessageId : ticket.merchantReadMessageId) : undefined;
  useEffect(() => {
    if (!lastShown || readMark === undefined || BigInt(readMark) >= BigInt(lastShown)) return;
    void answer(
      api.POST("/api/tickets/{ticketId}/read", {
        params: { path: { ticketId: props.ticketId } },
        body: { upToMessageId: lastShown },
        headers: token ? { "x-order-token": token } : {},
      }),
    ).then(
      (updated) => live.accept({ ticket: updated }),
      () => {},
    );
  }, [api, lastShown, readMark, props.ticketId, token, live.accept]);

  if (live.error) return <ErrorNotice error={live.error} onRetry={live.refresh} />;
  if (!ticket) return <Spinner />;
  const otherMark = side === "buyer" ? ticket.merchantReadMessageId : ticket.buyerReadMessageId;
  return (
    <div className="stack-lg">
      <PageHeader
        title={`#${ticket.id} ${ticket.subject}`}
        subtitle={
          <>
            {categoryLabel(t, ticket.category)} ·{" "}
            <Link to={`/orders/${ticket.orderId}${token ? `?token=${encodeURIComponent(token)}` : ""}`}>{ticket.orderId}</Link>
          </>
        }
        actions={<StateBadge state={ticket.state} testId="ticket-state" />}
      />
      <TicketFlags ticket={ticket} />
      <p className="muted small" data-testid="ticket-live">
        {live.live ? t("tickets.live") : t("tickets.polling")}
      </p>
      <ol className="list card ticket-messages" aria-label={t("tickets.messages")} data-testid="ticket-messages">
        {messages.map((message) => (
          <MessageRow key={message.id} message={message} mine={message.author === side} readByOther={BigInt(otherMark) >= BigInt(message.id)} token={token} />
        ))}
      </ol>
      {ticket.state === "open" && side && <Reply ticket={ticket} side={side} token={token} onPosted={live.accept} />}
      {ticket.state === "closed" && (
        <EmptyState title={t("tickets.closedTitle")} testId="ticket-closed">
          {t("tickets.closedHint", { when: formatDateTime(ticket.closedAt, lang) })}
        </EmptyState>
      )}
    </div>
  );
}

function MessageRow(props: { message: TicketMessage; mine: boolean; readByOther: boolean; token: string | undefined }) {
  const { t, lang } = useI18n();
  const { message } = props;
  const download = message.attachment && `${message.attachment.url}${props.token ? `?token=${encodeURIComponent(props.token)}` : ""}`;
  return (
    <li className={`list-row ticket-message ticket-message-${message.author}`} data-testid={`ticket-message-${message.id}`}>
      <div className="small muted">
        <strong>{message.author === "buyer" ? t("tickets.buyer") : t("tickets.merchant")}</strong> · {formatDateTime(message.createdAt, lang)}
        {props.mine && <span data-testid="ticket-read-mark"> · {props.readByOther ? t("tickets.read") : t("tickets.unread")}</span>}
      </div>
      {message.body && <p className="ticket-body">{message.body}</p>}
      {message.attachment && download && (
        <a href={download} download={message.attachment.fileName} data-testid="ticket-attachment">
          {t("tickets.attachment", { name: message.attachment.fileName, size: message.attachment.sizeBytes })}
        </a>
      )}
    </li>
  );
}

function Reply(props: {
  ticket: Ticket;
  side: "buyer" | "merchant";
  token: string | undefined;
  onPosted(update: { ticket?: Ticket; messages?: TicketMessage[] }): void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const [body, setBody] = useState("");
  const [file, setFile] = useState<File | undefined>(undefined);
  const headers = props.token ? { "x-order-token": props.token } : {};
  const path = { ticketId: props.ticket.id };
  const canned = useAsync(
    (signal) =>
      props.side === "merchant"
        ? answer(api.GET("/api/shops/{shopId}/canned-replies", { params: { path: { shopId: props.ticket.shopId } }, signal }))
        : Promise.resolve(undefined),
    [api, props.side, props.ticket.shopId],
  );
  const send = useFormSubmit(async () => {
    const posted = file
      ? await answer(
          api.POST("/api/tickets/{ticketId}/attachments", {
            params: { path, query: { fileName: file.name, caption: body } },
            body: file as unknown as string,
            bodySerializer: (value: unknown) => value as BodyInit,
            headers: { ...headers, "content-type": "application/octet-stream" },
          }),
        )
      : await answer(api.POST("/api/tickets/{ticketId}/messages", { params: { path }, body: { body }, headers }));
    props.onPosted({ ticket: posted.ticket, messages: [posted.message] });
    setBody("");
    setFile(undefined);
  });
  const close = useFormSubmit(async () => {
    props.onPosted({ ticket: await answer(api.POST("/api/tickets/{ticketId}/close", { params: { path }, headers })) });
  });
  return (
    <form className="card stack" onSubmit={send.submit}>
      {canned.data && canned.data.items.length > 0 && (
        <Field label={t("tickets.canned")} htmlFor="ticket-canned">
          <select id="ticket-canned" defaultValue="" onChange={(event) => setBody((current) => current + event.target.value)} data-testid="ticket-canned">
            <option value="">{t("tickets.cannedPick")}</option>
            {canned.data.items.map((reply) => (
              <option key={reply.id} value={reply.body}>
                {reply.title}
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field label={t("tickets.reply")} htmlFor="ticket-reply">
        <textarea id="ticket-reply" rows={4} maxLength={4000} value={body} onChange={(event) => setBody(event.target.value)} data-testid="ticket-reply" />
      </Field>
      <Field label={t("tickets.attach")} hint={t("tickets.attachHint")} htmlFor="ticket-file">
        <FilePicker id="ticket-file" accept=".png,.jpg,.jpeg,.gif,.webp,.txt,.log" fileName={file?.name} onFile={setFile} testId="ticket-file" />
      </Field>
      <ErrorNotice error={send.error ?? close.error} />
      <div className="row">
        <button type="submit" className="button button-primary" disabled={send.busy || (!body.trim() && !file)} data-testid="ticket-send">
          {t("tickets.send")}
        </button>
        <button type="button" className="button" disabled={close.busy} onClick={(event) => void close.submit(event)} data-testid="ticket-close">
          {t("tickets.close")}
        </button>
      </div>
    </form>
  );
}
