// The authorisation matrix's requests for the ticket routes (docs/support.md): tickets are made
// on first use, once per world (buyer A's on one key of order A, with an attachment; the guest's
// on one key of the guest order), so the rows that open a ticket on the whole order still can.
import { expect } from "chai";
import type { Cell, Call, RowRequests } from "./requests.ts";
import type { World } from "./world.ts";

type TicketFixtures = { ticketA: string; attachmentA: string; guestTicket: string };
const fixtures = new WeakMap<World, Promise<TicketFixtures>>();

function ticketsOf(w: World): Promise<TicketFixtures> {
  let made = fixtures.get(w);
  if (!made) {
    made = (async () => {
      const buyer = w.people.buyer.client;
      const opened = await buyer.post(`/api/orders/${w.orderA.id}/tickets`, {
        category: "key_invalid",
        keyId: w.orderA.keyId,
        subject: "Matrix",
        body: "Matrix ticket",
      });
      expect(opened.status, opened.text).to.equal(201);
      const attached = await buyer.request("POST", `/api/tickets/${opened.body.ticket.id}/attachments?fileName=note.txt`, "matrix note", {
        "content-type": "text/plain",
      });
      expect(attached.status, attached.text).to.equal(201);
      const guest = await w.platform.http.post(
        `/api/orders/${w.guest.id}/tickets`,
        { category: "other", keyId: w.guest.keyId, subject: "Matrix", body: "Guest ticket" },
        { "x-order-token": w.guest.token },
      );
      expect(guest.status, guest.text).to.equal(201);
      return { ticketA: opened.body.ticket.id, attachmentA: attached.body.message.attachment.id, guestTicket: guest.body.ticket.id };
    })();
    fixtures.set(w, made);
  }
  return made;
}

/** A fresh guest order with an open ticket, for a cell whose allowed call closes it. */
async function freshGuestTicket(w: World): Promise<{ ticketId: string; token: string }> {
  const order = await w.fresh.guestOrder();
  const opened = await w.platform.http.post(
    `/api/orders/${order.id}/tickets`,
    { category: "other", subject: "To close", body: "Close me" },
    { "x-order-token": order.token },
  );
  expect(opened.status, opened.text).to.equal(201);
  return { ticketId: opened.body.ticket.id, token: order.token };
}

const get = (path: string): Call => ({ method: "GET", path });
const post = (path: string, body: unknown = {}): Call => ({ method: "POST", path, body });
/** The guest holds the guest order's token (on buyer A's rows: another order's, which opens nothing). */
const guestToken = (w: World, cell: Cell) => (cell.role === "guest" ? { headers: { "x-order-token": w.guest.token } } : {});
const messages = "SELECT count(*)::text FROM support_ticket_messages";

export const ticketRequests: Record<string, RowRequests> = {
  "POST /api/orders/{orderId}/tickets": {
    build: (w, cell) => ({
      ...post(`/api/orders/${w.orderA.id}/tickets`, { category: "other", subject: "Matrix order", body: "Whole order" }),
      ...guestToken(w, cell),
    }),
    probe: "SELECT count(*)::text FROM support_tickets",
  },
  "POST /api/orders/{orderId}/tickets (guest order)": {
    build: (w, cell) => ({
      ...post(`/api/orders/${w.guest.id}/tickets`, { category: "other", subject: "Matrix guest order", body: "Whole order" }),
      ...guestToken(w, cell),
    }),
    probe: "SELECT count(*)::text FROM support_tickets",
  },
  "GET /api/orders/{orderId}/tickets": {
    build: async (w, cell) => {
      await ticketsOf(w);
      return { ...get(`/api/orders/${w.orderA.id}/tickets`), ...guestToken(w, cell) };
    },
  },
  "GET /api/orders/{orderId}/tickets (guest order)": {
    build: async (w, cell) => {
      await ticketsOf(w);
      return { ...get(`/api/orders/${w.guest.id}/tickets`), ...guestToken(w, cell) };
    },
  },
  "GET /api/me/tickets": { build: () => get("/api/me/tickets") },
  "GET /api/shops/{shopId}/tickets": { build: (w) => get(`/api/shops/${w.shopA.shopId}/tickets`) },
  "GET /api/tickets/{ticketId}": { build: async (w, cell) => ({ ...get(`/api/tickets/${(await ticketsOf(w)).ticketA}`), ...guestToken(w, cell) }) },
  "GET /api/tickets/{ticketId} (guest order)": {
    build: async (w, cell) => ({ ...get(`/api/tickets/${(await ticketsOf(w)).guestTicket}`), ...guestToken(w, cell) }),
  },
  // The matrix platform ends streams after a second (SUPPORT_STREAM_SECONDS_MAX), so an allowed cell's answer completes.
  "GET /api/tickets/{ticketId}/events": {
    build: async (w, cell) => ({ ...get(`/api/tickets/${(await ticketsOf(w)).ticketA}/events`), ...guestToken(w, cell) }),
  },
  "POST /api/tickets/{ticketId}/messages": {
    build: async (w, cell) => ({ ...post(`/api/tickets/${(await ticketsOf(w)).ticketA}/messages`, { body: "Matrix message" }), ...guestToken(w, cell) }),
    probe: messages,
  },
  "POST /api/tickets/{ticketId}/messages (guest order)": {
    build: async (w, cell) => ({ ...post(`/api/tickets/${(await ticketsOf(w)).guestTicket}/messages`, { body: "Matrix message" }), ...guestToken(w, cell) }),
    probe: messages,
  },
  "POST /api/tickets/{ticketId}/attachments": {
    build: async (w, cell) => ({
      method: "POST",
      path: `/api/tickets/${(await ticketsOf(w)).ticketA}/attachments?fileName=note.txt`,
      body: "matrix note",
      headers: { "content-type": "text/plain", ...guestToken(w, cell).headers },
    }),
    probe: "SELECT count(*)::text FROM support_ticket_attachments",
  },
  "GET /api/tickets/{ticketId}/attachments/{attachmentId}": {
    build: async (w, cell) => {
      const { ticketA, attachmentA } = await ticketsOf(w);
      return { ...get(`/api/tickets/${ticketA}/attachments/${attachmentA}`), ...guestToken(w, cell) };
    },
  },
  "POST /api/tickets/{ticketId}/read": {
    build: async (w, cell) => ({ ...post(`/api/tickets/${(await ticketsOf(w)).ticketA}/read`, { upToMessageId: "999999999" }), ...guestToken(w, cell) }),
    probe: "SELECT sum(buyer_read_message_id + merchant_read_message_id)::text FROM support_tickets",
  },
  // Each allowed cell closes a ticket of its own (a fresh guest order's); the refused ones try the guest's open ticket.
  "POST /api/tickets/{ticketId}/close": {
    build: async (w, cell) => {
      if (!cell.allowed) return post(`/api/tickets/${(await ticketsOf(w)).guestTicket}/close`);
      const fresh = await freshGuestTicket(w);
      return { ...post(`/api/tickets/${fresh.ticketId}/close`), ...(cell.role === "guest" ? { headers: { "x-order-token": fresh.token } } : {}) };
    },
    probe: "SELECT count(*)::text FROM support_tickets WHERE state = 'closed'",
  },
  "GET /api/shops/{shopId}/canned-replies": { build: (w) => get(`/api/shops/${w.shopA.shopId}/canned-replies`) },
  "POST /api/shops/{shopId}/canned-replies": {
    build: (w) => post(`/api/shops/${w.shopA.shopId}/canned-replies`, { title: "Matrix", body: "Thanks for waiting." }),
    probe: "SELECT count(*)::text FROM support_canned_replies",
  },
  "DELETE /api/shops/{shopId}/canned-replies/{replyId}": {
    build: async (w, cell) => {
      const target = cell.allowed ? await w.shopA.merchant.post(`/api/shops/${w.shopA.shopId}/canned-replies`, { title: "To delete", body: "Bye" }) : undefined;
      const replyId = target?.body.id ?? (await cannedReplyOf(w));
      return { method: "DELETE", path: `/api/shops/${w.shopA.shopId}/canned-replies/${replyId}` };
    },
    probe: "SELECT count(*)::text FROM support_canned_replies",
  },
};

const cannedReplies = new WeakMap<World, Promise<string>>();
/** A canned reply of shop A that the refused cells try to delete. */
function cannedReplyOf(w: World): Promise<string> {
  let made = cannedReplies.get(w);
  if (!made) {
    made = w.shopA.merchant.post(`/api/shops/${w.shopA.shopId}/canned-replies`, { title: "Kept", body: "Kept" }).then((response) => response.body.id as string);
    cannedReplies.set(w, made);
  }
  return made;
}
