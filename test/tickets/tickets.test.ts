// After-sales tickets end to end on the running platform (real PostgreSQL, Redis, SMTP over a
// socket): a guest and an account buyer open tickets, exchange messages with the merchant,
// read state moves, server-sent events arrive over a real HTTP stream, the long poll answers on
// a change, mails go out in the recipient's language, attachments are sniffed by content.
//
// Broken on purpose once each (then restored): without the state check in postTicketMessage
// the "closed ticket" step wrote a message and failed; with sniffAttachment trusting the
// extension the PNG-named HTML file was stored and the attachment test failed; with the SSE
// loop not re-reading after a wake the stream test timed out waiting for the merchant's message.
import { expect } from "chai";
import { createDecipheriv, randomBytes } from "node:crypto";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { shopFirstReplyStatistics } from "../../api/services/tickets/firstReplyTimes.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { startSmtpServer } from "../support/smtpServer.ts";
import { mailText, mailsTo, openEventStream, paidOrder, signUpBuyer } from "./support/ticketFixtures.ts";

const firstReplySeconds = 3;
const attachmentBytesMax = 4096;
const attachmentsPerTicketMax = 2;

// A real 1x1 PNG (signature, IHDR, IDAT, IEND), written out byte by byte.
const png = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a2b9d5c50000000049454e44ae426082",
  "hex",
);

/** AES-256-GCM as the envelope format lays it out (version, 12-byte IV, ciphertext, 16-byte tag), with node:crypto only. */
function openDirectly(key: Uint8Array, sealed: Buffer, aad: string): Buffer {
  expect(sealed[0]).to.equal(0x01);
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(1, 13));
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(13, sealed.length - 16)), decipher.final()]);
}

describe("support tickets", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let setup: MerchantSetup;
  let merchantEmail: string;
  let manualProduct: string;
  let keyProduct: string;

  before(async () => {
    smtp = await startSmtpServer();
    platform = await startTestPlatform({
      env: {
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        PUBLIC_URL: "https://shop.example",
        SUPPORT_FIRST_REPLY_SECONDS: String(firstReplySeconds),
        SUPPORT_ATTACHMENT_BYTES_MAX: String(attachmentBytesMax),
        SUPPORT_ATTACHMENTS_PER_TICKET_MAX: String(attachmentsPerTicketMax),
      },
    });
    setup = await setupMerchant(platform);
    merchantEmail = (await queryOne<{ email: string }>(
      platform.database.db,
      sql`SELECT a.email FROM shops s JOIN accounts a ON a.id = s.owner_account_id WHERE s.id = ${BigInt(setup.shopId)}`,
    ))!.email;
    manualProduct = await createProduct(setup, { name: "Support target", category: "service_voucher", deliveryMode: "manual", manualStock: 50 });
    keyProduct = await createProduct(setup, { name: "Keyed target" });
    await importKeys(setup, keyProduct, randomKeys(3, "TICKET"));
  });
  after(async () => {
    await platform?.stopAll();
    await smtp?.stop();
  });

  const count = async (table: string, ticketId: string) =>
    (await queryOne<{ count: number }>(
      platform.database.db,
      sql`SELECT count(*)::int AS count FROM ${sql.identifier(table)} WHERE ticket_id = ${BigInt(ticketId)}`,
    ))!.count;
  const ticketsOf = async (orderId: string) =>
    (await queryOne<{ count: number }>(platform.database.db, sql`SELECT count(*)::int AS count FROM support_tickets WHERE order_id = ${orderId}`))!.count;

  it("a guest opens a ticket with the order's token, the merchant replies, read marks move, mails go out in each side's language", async () => {
    const contact = `guest-${randomBytes(3).toString("hex")}@example.com`;
    const order = await paidOrder(platform, setup, manualProduct, undefined, contact);
    const guest = { "x-order-token": order.token };

    // An order awaiting payment has nothing to complain about yet: refused, nothing written.
    const unpaid = await platform.http.post("/api/orders", { productId: manualProduct, quantity: 1, contact, queryPassword: "ticket-pass-1" });
    const early = await platform.http.post(
      `/api/orders/${unpaid.body.order.id}/tickets`,
      { category: "not_received", subject: "Where is it", body: "Not here" },
      { "x-order-token": unpaid.body.accessToken },
    );
    expect(early.status, early.text).to.equal(409);
    expect(early.body.code).to.equal("invalid_state");
    expect(await ticketsOf(unpaid.body.order.id)).to.equal(0);

    const opened = await platform.http.post(
      `/api/orders/${order.id}/tickets`,
      { category: "not_received", subject: "Nothing delivered", body: "I paid an hour ago and nothing arrived.", locale: "en" },
      guest,
    );
    expect(opened.status, opened.text).to.equal(201);
    const ticket = opened.body.ticket;
    const firstId = opened.body.messages[0].id as string;
    expect(opened.body.viewer).to.equal("buyer");
    expect(ticket).to.include({ orderId: order.id, shopId: setup.shopId, state: "open", category: "not_received", overdue: false, keyId: null });
    expect(ticket).to.include({ lastMessageId: firstId, buyerReadMessageId: firstId, merchantReadMessageId: "0", merchantFirstReplyAt: null });
    // Due SUPPORT_FIRST_REPLY_SECONDS after opening.
    expect(Date.parse(ticket.firstReplyDueAt) - Date.parse(ticket.createdAt)).to.equal(firstReplySeconds * 1000);

    // The merchant (an account in zh-CN, the default) is mailed in Chinese, without the message.
    const opening = await waitFor("the merchant's mail", async () => mailsTo(smtp.messages, merchantEmail)[0]);
    expect(mailText(opening)).to.contain("新售后工单").and.contain(`https://shop.example/tickets/${ticket.id}`).and.not.contain("an hour ago");

    const inbox = await setup.merchant.get(`/api/shops/${setup.shopId}/tickets?state=open`);
    expect(inbox.status, inbox.text).to.equal(200);
    expect(inbox.body.items.find((item: { id: string }) => item.id === ticket.id)).to.include({ unread: 1, overdue: false });

    const reply = await setup.merchant.post(`/api/tickets/${ticket.id}/messages`, { body: "Sorry, delivering it now." });
    expect(reply.status, reply.text).to.equal(201);
    expect(reply.body.message).to.include({ author: "merchant", body: "Sorry, delivering it now." });
    expect(reply.body.ticket.merchantFirstReplyAt).to.be.a("string");
    expect(reply.body.ticket.merchantReadMessageId).to.equal(reply.body.message.id);

    // The guest gets an English mail whose link carries an access token that opens the ticket.
    const replied = await waitFor("the guest's mail", async () => mailsTo(smtp.messages, contact)[0]);
    const text = mailText(replied);
    expect(text).to.contain("The shop replied to your ticket").and.not.contain("delivering it now");
    const link = new URL(/https:\/\/shop\.example\/tickets\/\S+/.exec(text)![0]);
    expect(link.pathname).to.equal(`/tickets/${ticket.id}`);
    const viaMail = await platform.http.get(`/api/tickets/${ticket.id}?token=${encodeURIComponent(link.searchParams.get("token")!)}`);
    expect(viaMail.status, viaMail.text).to.equal(200);
    expect(viaMail.body.messages.map((message: { author: string }) => message.author)).to.deep.equal(["buyer", "merchant"]);

    const listed = await platform.http.get(`/api/orders/${order.id}/tickets?token=${encodeURIComponent(order.token)}`);
    expect(listed.body.items[0]).to.include({ id: ticket.id, unread: 1 });
    const read = await platform.http.post(`/api/tickets/${ticket.id}/read`, { upToMessageId: reply.body.message.id }, guest);
    expect(read.status, read.text).to.equal(200);
    expect(read.body.buyerReadMessageId).to.equal(reply.body.message.id);
    // A mark past the last message is held at the last one; a mark back does not unread anything.
    await platform.http.post(`/api/tickets/${ticket.id}/read`, { upToMessageId: "999999999" }, guest);
    const back = await platform.http.post(`/api/tickets/${ticket.id}/read`, { upToMessageId: firstId }, guest);
    expect(back.body.buyerReadMessageId).to.equal(reply.body.message.id);
    expect((await platform.http.get(`/api/orders/${order.id}/tickets?token=${encodeURIComponent(order.token)}`)).body.items[0].unread).to.equal(0);

    // Two merchant messages in a row: the first is mailed (the guest had read everything), the second is not.
    await setup.merchant.post(`/api/tickets/${ticket.id}/messages`, { body: "Delivered." });
    await setup.merchant.post(`/api/tickets/${ticket.id}/messages`, { body: "Please check." });
    await waitFor("the second guest mail", async () => mailsTo(smtp.messages, contact).length >= 2 || undefined);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(mailsTo(smtp.messages, contact)).to.have.length(2);

    // The buyer closes it; a message to a closed ticket is refused and nothing is written.
    const closed = await platform.http.post(`/api/tickets/${ticket.id}/close`, undefined, guest);
    expect(closed.status, closed.text).to.equal(200);
    expect(closed.body).to.include({ state: "closed", closedBy: "buyer" });
    const messagesBefore = await count("support_ticket_messages", ticket.id);
    const late = await setup.merchant.post(`/api/tickets/${ticket.id}/messages`, { body: "One more thing" });
    expect(late.status, late.text).to.equal(409);
    expect(late.body.code).to.equal("ticket_closed");
    expect(await count("support_ticket_messages", ticket.id)).to.equal(messagesBefore);
  });

  it("an account buyer opens a ticket on one key; the event stream delivers messages and read marks; the long poll answers on a change", async () => {
    const buyer = await signUpBuyer(platform, "en");
    const order = await paidOrder(platform, setup, keyProduct, buyer.client);
    const delivered = await waitFor("the order's delivery", async () => {
      const page = await buyer.client.get(`/api/orders/${order.id}`);
      return page.body.state === "fulfilled" ? page.body : undefined;
    });
    const keyId = delivered.items[0].keyId as string;
    const opened = await buyer.client.post(`/api/orders/${order.id}/tickets`, {
      category: "key_invalid",
      keyId,
      subject: "Key refused",
      body: "The game says invalid.",
    });
    expect(opened.status, opened.text).to.equal(201);
    const ticket = opened.body.ticket;
    expect(ticket).to.include({ keyId, category: "key_invalid" });

    // One open ticket per key: a second is a conflict naming the first, and nothing is written.
    const again = await buyer.client.post(`/api/orders/${order.id}/tickets`, { category: "key_invalid", keyId, subject: "Again", body: "Again" });
    expect(again.status, again.text).to.equal(409);
    expect(again.body.details.ticketId).to.equal(ticket.id);
    // A key of another order is not this order's: 404, nothing written.
    const other = await paidOrder(platform, setup, keyProduct, buyer.client);
    const otherKey = await waitFor("the other order's key", async () => (await buyer.client.get(`/api/orders/${other.id}`)).body.items[0]?.keyId);
    const foreign = await buyer.client.post(`/api/orders/${order.id}/tickets`, { category: "other", keyId: otherKey, subject: "x", body: "x" });
    expect(foreign.status, foreign.text).to.equal(404);
    expect(await ticketsOf(order.id)).to.equal(1);

    const mine = await buyer.client.get("/api/me/tickets");
    expect(mine.body.items.map((item: { id: string }) => item.id)).to.include(ticket.id);

    const stream = await openEventStream(`${platform.url}/api/tickets/${ticket.id}/events`, { authorization: `Bearer ${buyer.client.token}` });
    expect(stream.response.status).to.equal(200);
    expect(stream.response.headers.get("content-type")).to.match(/^text\/event-stream/);
    await stream.next("the ticket's first state", (event) => event.event === "ticket");
    await stream.next("the opening message", (event) => event.event === "message" && event.id === opened.body.messages[0].id);
    const reply = await setup.merchant.post(`/api/tickets/${ticket.id}/messages`, { body: "Here is a new one soon." });
    const arrived = await stream.next("the merchant's message", (event) => event.event === "message" && event.id === reply.body.message.id);
    expect(arrived.data).to.include({ author: "merchant", body: "Here is a new one soon." });
    // The merchant had read the opening message by replying: the stream shows the mark.
    await stream.next(
      "the merchant's read mark",
      (event) => event.event === "ticket" && (event.data as any).ticket.merchantReadMessageId === reply.body.message.id,
    );
    await buyer.client.post(`/api/tickets/${ticket.id}/read`, { upToMessageId: reply.body.message.id });
    await stream.next("the buyer's read mark", (event) => event.event === "ticket" && (event.data as any).ticket.buyerReadMessageId === reply.body.message.id);
    await stream.close();

    // Reconnecting with Last-Event-ID replays nothing already seen.
    const resumed = await openEventStream(`${platform.url}/api/tickets/${ticket.id}/events`, {
      authorization: `Bearer ${buyer.client.token}`,
      "last-event-id": reply.body.message.id,
    });
    await resumed.next("the resumed stream's state", (event) => event.event === "ticket");
    const later = await setup.merchant.post(`/api/tickets/${ticket.id}/messages`, { body: "Sent." });
    await resumed.next("the later message", (event) => event.event === "message" && event.id === later.body.message.id);
    expect(resumed.events.filter((event) => event.event === "message").map((event) => event.id)).to.deep.equal([later.body.message.id]);
    await resumed.close();

    // Long-poll fallback: waits while nothing is new, answers when the merchant writes.
    const started = Date.now();
    const poll = buyer.client.get(`/api/tickets/${ticket.id}?afterMessageId=${later.body.message.id}&waitSeconds=20`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const last = await setup.merchant.post(`/api/tickets/${ticket.id}/messages`, { body: "Anything else?" });
    const polled = await poll;
    expect(polled.status, polled.text).to.equal(200);
    expect(polled.body.messages.map((message: { id: string }) => message.id)).to.deep.equal([last.body.message.id]);
    expect(Date.now() - started).to.be.below(10_000);
  });

  it("attachments are typed by content and stored encrypted; a PNG-named HTML file, too large and too many are refused with nothing written", async () => {
    const order = await paidOrder(platform, setup, manualProduct);
    const guest = { "x-order-token": order.token };
    const opened = await platform.http.post(
      `/api/orders/${order.id}/tickets`,
      { category: "wrong_product", subject: "Wrong item", body: "See the screenshot." },
      guest,
    );
    const ticketId = opened.body.ticket.id as string;
    const upload = (name: string, bytes: Buffer, type = "application/octet-stream") =>
      fetch(`${platform.url}/api/tickets/${ticketId}/attachments?fileName=${encodeURIComponent(name)}`, {
        method: "POST",
        headers: { ...guest, "content-type": type },
        body: new Uint8Array(bytes),
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
    const storedCounts = async () => [await count("support_ticket_attachments", ticketId), await count("support_ticket_messages", ticketId)];

    const stored = await upload("截图.png", png, "image/png");
    expect(stored.status, JSON.stringify(stored.body)).to.equal(201);
    expect(stored.body.message.attachment).to.include({ fileName: "截图.png", contentType: "image/png", sizeBytes: png.length });
    const download = await fetch(`${platform.url}${stored.body.message.attachment.url}?token=${encodeURIComponent(order.token)}`);
    expect(download.status).to.equal(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).to.equal(true);
    expect(download.headers.get("content-type")).to.equal("image/png");
    expect(download.headers.get("content-disposition"))
      .to.match(/^attachment; /)
      .and.contain(`filename*=UTF-8''${encodeURIComponent("截图.png")}`);
    expect(download.headers.get("x-content-type-options")).to.equal("nosniff");
    expect(download.headers.get("content-security-policy")).to.contain("sandbox");
    // Encrypted at rest: the stored bytes are not the file and do not contain its chunks.
    const row = await queryOne<{ ciphertext: Buffer }>(
      platform.database.db,
      sql`SELECT ciphertext FROM support_ticket_attachments WHERE ticket_id = ${BigInt(ticketId)}`,
    );
    expect(Buffer.from(row!.ciphertext).includes(png.subarray(12, 29))).to.equal(false);
    expect(row!.ciphertext.length).to.equal(1 + 12 + png.length + 16);
    // The format and AAD of docs/support.md, opened with node:crypto alone: the shop's data key
    // unwrapped from its row under the master key, then the attachment under the documented AAD.
    const shop = await queryOne<{ data_key_wrapped: Buffer; master_key_id: string }>(
      platform.database.db,
      sql`SELECT data_key_wrapped, master_key_id FROM shops WHERE id = ${BigInt(setup.shopId)}`,
    );
    const masterKey = Buffer.from(platform.ctx.config.secrets.masterKey!.replace(/^0x/, ""), "hex");
    const dataKey = openDirectly(masterKey, Buffer.from(shop!.data_key_wrapped), `keyledger/data-key/v1|master=${shop!.master_key_id}`);
    const messageId = stored.body.message.id as string;
    const aad = `keyledger/ticket-attachment/v1|shop=${setup.shopId}|ticket=${ticketId}|message=${messageId}`;
    expect(openDirectly(dataKey, Buffer.from(row!.ciphertext), aad).equals(png)).to.equal(true);
    expect(() =>
      openDirectly(dataKey, Buffer.from(row!.ciphertext), `keyledger/ticket-attachment/v1|shop=${setup.shopId}|ticket=${ticketId}|message=0`),
    ).to.throw();

    const counts = await storedCounts();
    const html = Buffer.from("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>");
    for (const [name, bytes, type] of [
      ["photo.png", html, "image/png"], // HTML that claims to be a PNG
      ["notes.txt", html, "text/plain"], // markup sent as text
      ["photo.png", Buffer.from("just text"), "application/octet-stream"], // text named as an image
      ["notes.txt", Buffer.from("plain words"), "image/png"], // a declared type that lies
      ["page.html", Buffer.from("plain words"), "application/octet-stream"], // a type not allowed at all
      ["binary.txt", Buffer.from([0x00, 0x01, 0x02, 0x41]), "application/octet-stream"], // control bytes are not text
    ] as const) {
      const refused = await upload(name, bytes, type);
      expect(refused.status, `${name} as ${type}: ${JSON.stringify(refused.body)}`).to.equal(415);
      expect(refused.body.code).to.equal("attachment_type_refused");
    }
    const tooLarge = await upload("big.png", Buffer.concat([png, Buffer.alloc(attachmentBytesMax)]), "image/png");
    expect(tooLarge.status).to.equal(413);
    expect(tooLarge.body.code).to.equal("attachment_too_large");
    expect(await storedCounts()).to.deep.equal(counts);

    expect((await upload("notes.txt", Buffer.from("order placed at 10:02, code shown as used"))).status).to.equal(201);
    const tooMany = await upload("third.png", png, "image/png");
    expect(tooMany.status).to.equal(409);
    expect(tooMany.body.code).to.equal("attachments_exhausted");
    expect(await count("support_ticket_attachments", ticketId)).to.equal(attachmentsPerTicketMax);

    // Someone without the order's access neither uploads nor downloads: the same 404 as no ticket.
    const stranger = await fetch(`${platform.url}/api/tickets/${ticketId}/attachments?fileName=x.png`, { method: "POST", body: new Uint8Array(png) });
    expect(stranger.status).to.equal(404);
    expect((await fetch(`${platform.url}${stored.body.message.attachment.url}`)).status).to.equal(404);
  });

  it("concurrent opens make one ticket; concurrent uploads at the limit store exactly the limit", async () => {
    const order = await paidOrder(platform, setup, manualProduct);
    const guest = { "x-order-token": order.token };
    const opens = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        platform.http.post(`/api/orders/${order.id}/tickets`, { category: "other", subject: `Race ${index}`, body: "Same problem" }, guest),
      ),
    );
    const statuses = opens.map((response) => response.status).sort();
    expect(statuses).to.deep.equal([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(await ticketsOf(order.id)).to.equal(1);
    const ticketId = opens.find((response) => response.status === 201)!.body.ticket.id as string;
    expect(opens.filter((response) => response.status === 409).every((response) => response.body.details.ticketId === ticketId)).to.equal(true);

    const uploads = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${platform.url}/api/tickets/${ticketId}/attachments?fileName=shot.png`, {
          method: "POST",
          headers: { ...guest, "content-type": "image/png" },
          body: new Uint8Array(png),
        }).then((response) => response.status),
      ),
    );
    expect(uploads.filter((status) => status === 201)).to.have.length(attachmentsPerTicketMax);
    expect(uploads.filter((status) => status === 409)).to.have.length(6 - attachmentsPerTicketMax);
    expect(await count("support_ticket_attachments", ticketId)).to.equal(attachmentsPerTicketMax);
    // Every refused upload wrote no message either: the opening message plus one per stored file.
    expect(await count("support_ticket_messages", ticketId)).to.equal(1 + attachmentsPerTicketMax);
  });

  it("overdue first replies are flagged after the platform's due time; the shop's median first-reply time matches the tickets' own times", async () => {
    const order = await paidOrder(platform, setup, manualProduct);
    const opened = await platform.http.post(
      `/api/orders/${order.id}/tickets`,
      { category: "other", subject: "Question", body: "Hello?" },
      { "x-order-token": order.token },
    );
    const ticketId = opened.body.ticket.id as string;
    await new Promise((resolve) => setTimeout(resolve, (firstReplySeconds + 1) * 1000));
    const overdue = await setup.merchant.get(`/api/shops/${setup.shopId}/tickets?overdue=1`);
    expect(overdue.body.items.map((item: { id: string }) => item.id)).to.include(ticketId);
    expect(overdue.body.items.find((item: { id: string }) => item.id === ticketId).overdue).to.equal(true);
    await setup.merchant.post(`/api/tickets/${ticketId}/messages`, { body: "Hi, sorry for the wait." });
    const answered = await setup.merchant.get(`/api/tickets/${ticketId}`);
    expect(answered.body.ticket.overdue).to.equal(false);
    expect((await setup.merchant.get(`/api/shops/${setup.shopId}/tickets?overdue=1`)).body.items.map((item: { id: string }) => item.id)).not.to.include(
      ticketId,
    );

    // The median, computed here from the stored times by the textbook rule.
    const rows = await queryRows<{ created_at: Date; merchant_first_reply_at: Date }>(
      platform.database.db,
      sql`SELECT created_at, merchant_first_reply_at FROM support_tickets WHERE shop_id = ${BigInt(setup.shopId)} AND merchant_first_reply_at IS NOT NULL`,
    );
    const delays = rows.map((row) => (new Date(row.merchant_first_reply_at).getTime() - new Date(row.created_at).getTime()) / 1000).sort((a, b) => a - b);
    expect(delays.length).to.be.at.least(3);
    const middle = Math.floor(delays.length / 2);
    const median = delays.length % 2 === 1 ? delays[middle]! : (delays[middle - 1]! + delays[middle]!) / 2;
    const statistics = await shopFirstReplyStatistics(platform.database.db, BigInt(setup.shopId));
    expect(statistics.answered).to.equal(delays.length);
    // Timestamps are microseconds in the database and milliseconds here.
    expect(statistics.medianSeconds).to.be.closeTo(median, 0.002);
    expect(delays[delays.length - 1]).to.be.at.least(firstReplySeconds);
  });

  it("a dispute grows out of one of its order's tickets (another order's is refused, nothing written); the shop's reputation shows the median first reply", async () => {
    const order = await paidOrder(platform, setup, manualProduct);
    const other = await paidOrder(platform, setup, manualProduct);
    const asGuest = (token: string) => ({ "x-order-token": token });
    const ticket = await platform.http.post(
      `/api/orders/${order.id}/tickets`,
      { category: "other", subject: "Nothing came", body: "Still waiting." },
      asGuest(order.token),
    );
    const otherTicket = await platform.http.post(`/api/orders/${other.id}/tickets`, { category: "other", subject: "Hello", body: "?" }, asGuest(other.token));
    expect(ticket.status, ticket.text).to.equal(201);
    expect(otherTicket.status, otherTicket.text).to.equal(201);
    await setup.merchant.post(`/api/tickets/${ticket.body.ticket.id}/messages`, { body: "Looking into it." });

    const dispute = { category: "not_received", statement: "The ticket did not help." };
    const disputesBefore = await queryOne<{ n: number }>(platform.database.db, sql`SELECT count(*)::int AS n FROM disputes`);
    const foreign = await platform.http.post(`/api/orders/${order.id}/disputes`, { ...dispute, ticketId: otherTicket.body.ticket.id }, asGuest(order.token));
    expect(foreign.status, foreign.text).to.equal(400);
    expect(foreign.body.code).to.equal("validation_failed");
    expect(foreign.body.message).to.contain(`not a support ticket of order ${order.id}`);
    expect((await queryOne<{ n: number }>(platform.database.db, sql`SELECT count(*)::int AS n FROM disputes`))!.n).to.equal(disputesBefore!.n);

    const opened = await platform.http.post(`/api/orders/${order.id}/disputes`, { ...dispute, ticketId: ticket.body.ticket.id }, asGuest(order.token));
    expect(opened.status, opened.text).to.equal(201);
    expect(opened.body.ticketId).to.equal(ticket.body.ticket.id);
    const stored = await queryOne<{ ticket_id: string }>(platform.database.db, sql`SELECT ticket_id::text FROM disputes WHERE order_id = ${order.id}`);
    expect(stored!.ticket_id).to.equal(ticket.body.ticket.id);

    // The reputation's median is the tickets' own median, rounded to whole seconds.
    const statistics = await shopFirstReplyStatistics(platform.database.db, BigInt(setup.shopId));
    const reputation = await platform.http.get(`/api/shops/${setup.shopId}/reputation`);
    expect(reputation.status, reputation.text).to.equal(200);
    expect(reputation.body.firstReplyMedianSeconds).to.equal(Math.round(statistics.medianSeconds!));
  });
});
