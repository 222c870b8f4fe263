// After-sales tickets (docs/support.md): buyers (accounts, or guests with the order's access
// token in `x-order-token` or `?token=`) open tickets on their orders; buyer and merchant write
// in them, in real time over server-sent events with a long-poll fallback. Who may see a ticket
// is who may see its order (loadTicketFor); a ticket nobody may see answers 404 like a missing one.
import express, { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { requireSetting } from "../../../core/config.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import { createMailer } from "../../services/mail/mailer.ts";
import { sendTicketMail, type TicketMailKind } from "../../services/mail/ticketMail.ts";
import { loadOrderFor } from "../../services/orders/orderAccessCheck.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { createCannedReply, deleteCannedReply, listCannedReplies } from "../../services/tickets/cannedReplies.ts";
import { closeTicket } from "../../services/tickets/closeTicket.ts";
import { listTickets } from "../../services/tickets/listTickets.ts";
import { loadTicketFor, writingSide, type TicketCaller } from "../../services/tickets/loadTicketFor.ts";
import { markTicketRead } from "../../services/tickets/markTicketRead.ts";
import { openTicket } from "../../services/tickets/openTicket.ts";
import { postTicketMessage, type PostedMessage } from "../../services/tickets/postTicketMessage.ts";
import { readTicketAttachment } from "../../services/tickets/readTicketAttachment.ts";
import { sniffAttachment } from "../../services/tickets/sniffAttachment.ts";
import { ticketMailRecipient } from "../../services/tickets/ticketMailRecipient.ts";
import { ticketMessagesAfter, ticketMessagesPerReadMax, type TicketMessage } from "../../services/tickets/ticketMessages.ts";
import { getTicketRecord, ticketCategories, type TicketRecord, type TicketSide } from "../../services/tickets/ticketRecord.ts";
import { announceTicketChange, ticketEventKey } from "../announceTicketChange.ts";
import { cursorParam, encodeCursor, idSortKey } from "../cursor.ts";
import { defineRoute } from "../route.ts";
import { idString, multilineText, singleLineText } from "../schemas.ts";
import { noContent, textBody } from "../responses/common.ts";
import {
  cannedReplyListSchema,
  cannedReplySchema,
  postedTicketMessageSchema,
  ticketDetailSchema,
  ticketPageSchema,
  ticketSchema,
} from "../responses/tickets.ts";

export const ticketsMountPath = "/api";

/** The longest a poll may wait in one request (below common proxy timeouts of 30 s), and a stream between keep-alives. */
const ticketWaitSecondsMax = 25;
const messageBody = multilineText({ min: 1, max: 4000 });
const orderIdParam = z.string().regex(/^KL[0-9A-Z]{8,24}$/, "must be an order number such as KL1H2J3K4M5N6P7Q8");
const ticketParams = z.strictObject({ ticketId: idString });
const tokenQuery = z.string().max(100).optional();
const fileNameSchema = singleLineText({
  min: 1,
  max: 100,
  refuse: { pattern: /[\\/"<>:*?|]/, message: "must be a plain file name (no slashes, quotes, <, >, :, *, ? or |)" },
});

export function ticketsRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const pepper = requireSetting(
    ctx.config.secrets.queryPasswordPepper,
    "QUERY_PASSWORD_PEPPER",
    "Order access tokens, which open tickets for guests, are derived from it.",
  );
  const settings = ctx.config.support;
  const mailer = createMailer(ctx.config.mail);
  const callerOf = (req: Request, token?: string): TicketCaller => ({ account: req.account, accessToken: token ?? req.get("x-order-token") ?? undefined });

  // Uploads: the file's bytes are the body, whatever its declared type (checked by content).
  // A JSON body was already parsed by the app and is refused by the handler.
  const attachmentsPath = "/tickets/:ticketId/attachments";
  router.post(attachmentsPath, express.raw({ type: () => true, limit: settings.attachmentBytesMax }));
  router.use(attachmentsPath, (error: unknown, _req: Request, _res: Response, next: (error?: unknown) => void) => {
    const tooLarge = (error as { type?: string })?.type === "entity.too.large";
    next(
      tooLarge
        ? new AppError("attachment_too_large", `Attachments are at most ${settings.attachmentBytesMax} bytes. Send a smaller screenshot or crop it.`, {
            details: { limitBytes: settings.attachmentBytesMax },
          })
        : error,
    );
  });

  /** Mails the other side, after the change committed; a mail server that is down costs the mail only. */
  function notify(ticket: TicketRecord, to: TicketSide, kind: TicketMailKind): void {
    if (!mailer) return;
    const links = { publicUrl: ctx.config.http.publicUrl, pepper, accessTokenTtlSeconds: ctx.config.orders.accessTokenTtlSeconds };
    void (async () => {
      const recipient = await ticketMailRecipient(db, ticket, to, links);
      if (recipient) await sendTicketMail(mailer, { ...recipient, kind, ticketId: ticket.id, orderId: ticket.orderId, subject: ticket.subject });
    })().catch((error: unknown) => ctx.logger.warn({ ticketId: String(ticket.id), err: { message: (error as Error).message } }, "ticket mail failed"));
  }

  async function afterMessage(ticket: TicketRecord, side: TicketSide, posted: PostedMessage) {
    await announceTicketChange(ctx, ticket.id);
    // One mail per burst: only when the other side had read everything before this message.
    if (!posted.recipientHadUnread) notify(ticket, side === "buyer" ? "merchant" : "buyer", side === "buyer" ? "buyer_wrote" : "merchant_wrote");
    const [message] = await ticketMessagesAfter(db, ticket.id, posted.messageId - 1n, 1);
    return { ticket: ticketView((await getTicketRecord(db, ticket.id))!), message: messageView(ticket.id, message!) };
  }

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "post",
      path: "/orders/:orderId/tickets",
      summary: "Open a ticket on an order, or on one key of it, with its first message (the order's buyer: account or access token)",
      tags: ["support"],
      auth: "public",
      status: 201,
      response: ticketDetailSchema,
      params: z.strictObject({ orderId: orderIdParam }),
      body: z.strictObject({
        category: z.enum(ticketCategories),
        keyId: idString.optional(),
        subject: singleLineText({ min: 1, max: 120 }),
        body: messageBody,
        /** The language of the buyer's notification mails (an account's own setting wins). */
        locale: z.enum(["zh-CN", "en"]).default("zh-CN"),
      }),
    },
    async ({ params, body, req }) => {
      const { order, viewer } = await loadOrderFor(db, pepper, params.orderId, callerOf(req));
      if (viewer !== "buyer") throw new AppError("forbidden", "Only the order's buyer opens tickets on it.");
      const { ticket } = await openTicket(db, { order, ...body, firstReplySeconds: settings.firstReplySeconds });
      notify(ticket, "merchant", "opened");
      return { ticket: ticketView(ticket), viewer, messages: (await ticketMessagesAfter(db, ticket.id, 0n)).map((message) => messageView(ticket.id, message)) };
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "get",
      path: "/orders/:orderId/tickets",
      summary: "The tickets of an order (whoever may see the order: its buyer, guests with its token, its merchant, staff)",
      tags: ["support"],
      auth: "public",
      response: ticketPageSchema,
      params: z.strictObject({ orderId: orderIdParam }),
      query: z.strictObject({ token: tokenQuery, limit: z.coerce.number().int().min(1).max(100).default(50), cursor: cursorParam.optional() }),
    },
    async ({ params, query, req }) => {
      const { viewer } = await loadOrderFor(db, pepper, params.orderId, callerOf(req, query.token));
      const page = await listTickets(db, { orderId: params.orderId }, viewer, { limit: query.limit, beforeId: idSortKey(query.cursor) });
      return { items: page.items.map((item) => ({ ...ticketView(item), unread: item.unread })), nextCursor: encodeCursor(page.nextCursor) };
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "get",
      path: "/me/tickets",
      summary: "The signed-in buyer's tickets, newest first, with unread counts",
      tags: ["support"],
      auth: "account",
      response: ticketPageSchema,
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50), cursor: cursorParam.optional() }),
    },
    async ({ query, account }) => {
      const page = await listTickets(db, { buyerAccountId: account!.id }, "buyer", { limit: query.limit, beforeId: idSortKey(query.cursor) });
      return { items: page.items.map((item) => ({ ...ticketView(item), unread: item.unread })), nextCursor: encodeCursor(page.nextCursor) };
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "get",
      path: "/shops/:shopId/tickets",
      summary: "The shop's ticket inbox (its merchant): newest first, unread counts, overdue first replies flagged",
      tags: ["support", "merchant"],
      auth: ["merchant", "admin"],
      response: ticketPageSchema,
      params: z.strictObject({ shopId: idString }),
      query: z.strictObject({
        state: z.enum(["open", "closed"]).optional(),
        overdue: z.enum(["1", "0"]).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ params, query, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const page = await listTickets(db, { shopId: params.shopId, state: query.state, overdueOnly: query.overdue === "1" }, "merchant", {
        limit: query.limit,
        beforeId: idSortKey(query.cursor),
      });
      return { items: page.items.map((item) => ({ ...ticketView(item), unread: item.unread })), nextCursor: encodeCursor(page.nextCursor) };
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "get",
      path: "/tickets/:ticketId",
      summary:
        "A ticket and its messages after afterMessageId; with waitSeconds, a long poll that answers when something changes (the fallback of the event stream)",
      tags: ["support"],
      auth: "public",
      response: ticketDetailSchema,
      params: ticketParams,
      query: z.strictObject({
        token: tokenQuery,
        afterMessageId: idString.default(0n),
        waitSeconds: z.coerce.number().int().min(0).max(ticketWaitSecondsMax).default(0),
      }),
    },
    async ({ params, query, req, res }) => {
      // Listen before the first read, so a change after the read wakes this request (orders do the same).
      const waiter = query.waitSeconds > 0 ? ctx.orderEvents.wait(ticketEventKey(params.ticketId), query.waitSeconds * 1000) : undefined;
      try {
        let { ticket, viewer } = await loadTicketFor(db, pepper, params.ticketId, callerOf(req, query.token));
        let messages = await ticketMessagesAfter(db, ticket.id, query.afterMessageId);
        if (waiter && messages.length === 0) {
          res.on("close", waiter.cancel);
          if (await waiter.changed) {
            ticket = (await getTicketRecord(db, ticket.id))!;
            messages = await ticketMessagesAfter(db, ticket.id, query.afterMessageId);
          }
        }
        return { ticket: ticketView(ticket), viewer, messages: messages.map((message) => messageView(ticket.id, message)) };
      } finally {
        waiter?.cancel();
      }
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "get",
      path: "/tickets/:ticketId/events",
      summary:
        "Server-sent events of a ticket: `ticket` (its state and read marks) and `message` (id = message id; reconnect with Last-Event-ID). Ends after SUPPORT_STREAM_SECONDS_MAX; EventSource reconnects by itself",
      tags: ["support"],
      auth: "public",
      response: textBody,
      responseType: "text/event-stream",
      params: ticketParams,
      query: z.strictObject({ token: tokenQuery, afterMessageId: idString.default(0n) }),
    },
    async ({ params, query, req, res }) => {
      const { ticket, viewer } = await loadTicketFor(db, pepper, params.ticketId, callerOf(req, query.token));
      const lastEventId = req.get("last-event-id");
      // EventSource sends the last message id it saw when it reconnects.
      const after = lastEventId && /^\d{1,18}$/.test(lastEventId) ? BigInt(lastEventId) : query.afterMessageId;
      await streamTicket(res, ticket.id, viewer, after);
    },
  );

  async function streamTicket(res: Response, ticketId: bigint, viewer: string, startAfter: bigint): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
    res.write("retry: 2000\n\n");
    let open = true;
    res.on("close", () => {
      open = false;
    });
    const deadline = Date.now() + settings.streamSecondsMax * 1000;
    let after = startAfter;
    let lastTicket = "";
    // Bounded: each turn either sends, waits up to ticketWaitSecondsMax, or ends at the deadline.
    while (open && Date.now() < deadline) {
      const waiter = ctx.orderEvents.wait(ticketEventKey(ticketId), Math.min(ticketWaitSecondsMax * 1000, deadline - Date.now()));
      if (!waiter) break;
      try {
        const ticket = (await getTicketRecord(db, ticketId))!;
        const view = JSON.stringify({ ticket: ticketView(ticket), viewer });
        if (view !== lastTicket) res.write(`event: ticket\ndata: ${view}\n\n`);
        lastTicket = view;
        const messages = await ticketMessagesAfter(db, ticketId, after);
        for (const message of messages) res.write(`id: ${message.id}\nevent: message\ndata: ${JSON.stringify(messageView(ticketId, message))}\n\n`);
        if (messages.length > 0) after = messages[messages.length - 1]!.id;
        if (messages.length === ticketMessagesPerReadMax) continue;
        res.on("close", waiter.cancel);
        if (!(await waiter.changed) && open) res.write(": keep-alive\n\n");
        res.off("close", waiter.cancel);
      } finally {
        waiter.cancel();
      }
    }
    res.end();
  }

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "post",
      path: "/tickets/:ticketId/messages",
      summary: "Write in a ticket (its buyer or its shop's merchant); refused once the ticket is closed",
      tags: ["support"],
      auth: "public",
      status: 201,
      response: postedTicketMessageSchema,
      params: ticketParams,
      body: z.strictObject({ body: messageBody }),
    },
    async ({ params, body, req }) => {
      const { ticket, viewer } = await loadTicketFor(db, pepper, params.ticketId, callerOf(req));
      const side = writingSide(viewer);
      const posted = await postTicketMessage(db, { ticket, side, authorAccountId: req.account?.id ?? null, body: body.body });
      return afterMessage(ticket, side, posted);
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "post",
      path: attachmentsPath,
      summary:
        "Attach a file to a ticket as a message of its own: the body is the file (PNG, JPEG, GIF, WebP or UTF-8 text), its type checked by content; size- and count-limited",
      tags: ["support"],
      auth: "public",
      status: 201,
      response: postedTicketMessageSchema,
      rawBody: true,
      rawBodyTypes: ["application/octet-stream", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"],
      params: ticketParams,
      query: z.strictObject({ fileName: fileNameSchema, caption: multilineText({ max: 4000 }).default("") }),
      body: z.instanceof(Buffer, { error: "send the file's bytes as the body (Content-Type application/octet-stream or the file's type), not JSON" }),
    },
    async ({ params, query, body, req }) => {
      const { ticket, viewer } = await loadTicketFor(db, pepper, params.ticketId, callerOf(req));
      const side = writingSide(viewer);
      if (body.length === 0) throw new AppError("validation_failed", "The file is empty.");
      const contentType = sniffAttachment(body, query.fileName, req.get("content-type"));
      const dataKey = await loadShopDataKey(db, ctx.keyRing, ticket.shopId);
      const posted = await postTicketMessage(db, {
        ticket,
        side,
        authorAccountId: req.account?.id ?? null,
        body: query.caption,
        attachment: { fileName: query.fileName, contentType, bytes: body, dataKey, perTicketMax: settings.attachmentsPerTicketMax },
      });
      return afterMessage(ticket, side, posted);
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "get",
      path: "/tickets/:ticketId/attachments/:attachmentId",
      summary: "Download an attachment: always as a file (Content-Disposition: attachment, nosniff, a sandboxing CSP), never shown inline",
      tags: ["support"],
      auth: "public",
      response: textBody,
      responseType: "application/octet-stream",
      params: z.strictObject({ ticketId: idString, attachmentId: idString }),
      query: z.strictObject({ token: tokenQuery }),
    },
    async ({ params, query, req, res }) => {
      const { ticket } = await loadTicketFor(db, pepper, params.ticketId, callerOf(req, query.token));
      const file = await readTicketAttachment(db, ctx.keyRing, ticket, params.attachmentId);
      res.writeHead(200, {
        "content-type": file.contentType === "text/plain" ? "text/plain; charset=utf-8" : file.contentType,
        "content-length": String(file.bytes.length),
        "content-disposition": contentDisposition(params.attachmentId, file.fileName),
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "cache-control": "no-store",
      });
      res.end(file.bytes);
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "post",
      path: "/tickets/:ticketId/read",
      summary: "Mark the ticket read up to a message, for the caller's side (the mark only moves forward)",
      tags: ["support"],
      auth: "public",
      response: ticketSchema,
      params: ticketParams,
      body: z.strictObject({ upToMessageId: idString }),
    },
    async ({ params, body, req }) => {
      const { ticket, viewer } = await loadTicketFor(db, pepper, params.ticketId, callerOf(req));
      await markTicketRead(db, ticket, writingSide(viewer), body.upToMessageId);
      await announceTicketChange(ctx, ticket.id);
      return ticketView((await getTicketRecord(db, ticket.id))!);
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "post",
      path: "/tickets/:ticketId/close",
      summary: "Close a ticket (its buyer or its shop's merchant); a closed ticket takes no more messages",
      tags: ["support"],
      auth: "public",
      response: ticketSchema,
      params: ticketParams,
    },
    async ({ params, req }) => {
      const { ticket, viewer } = await loadTicketFor(db, pepper, params.ticketId, callerOf(req));
      await closeTicket(db, ticket, writingSide(viewer));
      await announceTicketChange(ctx, ticket.id);
      return ticketView((await getTicketRecord(db, ticket.id))!);
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "get",
      path: "/shops/:shopId/canned-replies",
      summary: "The shop's canned replies (its merchant)",
      tags: ["support", "merchant"],
      auth: ["merchant", "admin"],
      response: cannedReplyListSchema,
      params: z.strictObject({ shopId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return { items: await listCannedReplies(db, params.shopId) };
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "post",
      path: "/shops/:shopId/canned-replies",
      summary: "Save a canned reply for the shop's tickets",
      tags: ["support", "merchant"],
      auth: ["merchant", "admin"],
      status: 201,
      response: cannedReplySchema,
      params: z.strictObject({ shopId: idString }),
      body: z.strictObject({ title: singleLineText({ min: 1, max: 100 }), body: messageBody }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return createCannedReply(db, params.shopId, body);
    },
  );

  defineRoute(
    router,
    ticketsMountPath,
    {
      method: "delete",
      path: "/shops/:shopId/canned-replies/:replyId",
      summary: "Delete one of the shop's canned replies",
      tags: ["support", "merchant"],
      auth: ["merchant", "admin"],
      response: noContent,
      params: z.strictObject({ shopId: idString, replyId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      await deleteCannedReply(db, params.shopId, params.replyId);
    },
  );

  return router;
}

function ticketView(ticket: TicketRecord) {
  return {
    id: String(ticket.id),
    orderId: ticket.orderId,
    shopId: String(ticket.shopId),
    keyId: ticket.keyId === null ? null : String(ticket.keyId),
    category: ticket.category,
    subject: ticket.subject,
    state: ticket.state,
    firstReplyDueAt: ticket.firstReplyDueAt.toISOString(),
    merchantFirstReplyAt: ticket.merchantFirstReplyAt?.toISOString() ?? null,
    overdue: ticket.overdue,
    buyerReadMessageId: String(ticket.buyerReadMessageId),
    merchantReadMessageId: String(ticket.merchantReadMessageId),
    lastMessageId: String(ticket.lastMessageId),
    lastMessageAt: ticket.lastMessageAt.toISOString(),
    closedAt: ticket.closedAt?.toISOString() ?? null,
    closedBy: ticket.closedBy,
    createdAt: ticket.createdAt.toISOString(),
  };
}

function messageView(ticketId: bigint, message: TicketMessage) {
  return {
    id: String(message.id),
    author: message.author,
    body: message.body,
    createdAt: message.createdAt.toISOString(),
    attachment: message.attachment && {
      id: String(message.attachment.id),
      fileName: message.attachment.fileName,
      contentType: message.attachment.contentType,
      sizeBytes: message.attachment.sizeBytes,
      url: `/api/tickets/${ticketId}/attachments/${message.attachment.id}`,
    },
  };
}

/** An ASCII fallback name and the real name in RFC 5987 form, so any file name survives without header injection. */
function contentDisposition(attachmentId: bigint, fileName: string): string {
  const extension = fileName.includes(".") ? fileName.slice(fileName.lastIndexOf(".") + 1).replace(/[^A-Za-z0-9]/g, "") : "bin";
  return `attachment; filename="attachment-${attachmentId}.${extension}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
