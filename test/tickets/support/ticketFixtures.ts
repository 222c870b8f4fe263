// Setup steps of the ticket suites: paid orders of a guest and of an account, an SSE reader over
// a real HTTP stream, and mail bodies decoded from the SMTP conversation.
import { expect } from "chai";
import { notifyPath, signedNotification } from "../../support/epayNotify.ts";
import type { MerchantSetup } from "../../support/merchantSetup.ts";
import { waitFor, type HttpClient, type TestPlatform } from "../../support/platform.ts";
import type { ReceivedMail } from "../../support/smtpServer.ts";
import { randomBytes } from "node:crypto";

export type PaidOrder = { id: string; token: string; amountMinor: string };

/** Checks out and pays an order (as a guest, or as `buyer` when given); returns it with its access token. */
export async function paidOrder(platform: TestPlatform, setup: MerchantSetup, productId: string, buyer?: HttpClient, contact?: string): Promise<PaidOrder> {
  const client = buyer ?? platform.http;
  const checkout = await client.post("/api/orders", {
    productId,
    quantity: 1,
    ...(buyer ? {} : { contact: contact ?? `guest-${randomBytes(3).toString("hex")}@example.com`, queryPassword: "ticket-pass-1" }),
  });
  expect(checkout.status, checkout.text).to.equal(201);
  const order = checkout.body.order as { id: string; amountMinor: string };
  const paid = await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, `T-${order.id}`)));
  expect(paid.status, paid.text).to.equal(200);
  return { id: order.id, token: checkout.body.accessToken, amountMinor: order.amountMinor };
}

export async function signUpBuyer(platform: TestPlatform, locale?: "en"): Promise<{ client: HttpClient; email: string }> {
  const email = `buyer-${randomBytes(4).toString("hex")}@example.com`;
  const signup = await platform.http.post("/api/auth/signup", { email, password: "buyer-password-1", roles: ["buyer"], ...(locale ? { locale } : {}) });
  expect(signup.status, signup.text).to.equal(201);
  return { client: platform.http.as(signup.body.token), email };
}

/** The decoded text of a mail (quoted-printable soft breaks and escapes undone; encoded subject words decoded). */
export function mailText(mail: ReceivedMail): string {
  const unfolded = mail.data.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  const text = Buffer.from(unfolded, "latin1").toString("utf8");
  return text.replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_match, encoding: string, word: string) =>
    encoding.toUpperCase() === "B"
      ? Buffer.from(word, "base64").toString("utf8")
      : Buffer.from(
          word.replace(/_/g, " ").replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
          "latin1",
        ).toString("utf8"),
  );
}

/** A mail's decoded text: nodemailer sends a body with many non-ASCII characters as base64. */
export function bodyText(mail: ReceivedMail): string {
  const [head = "", ...rest] = mail.data.split(/\r?\n\r?\n/);
  const body = rest.join("\n\n");
  return /content-transfer-encoding: base64/i.test(head)
    ? `${mailText({ ...mail, data: head })}\n${Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8")}`
    : mailText(mail);
}

export function mailsTo(messages: ReceivedMail[], address: string): ReceivedMail[] {
  return messages.filter((mail) => mail.to.includes(`<${address}>`));
}

export type StreamEvent = { event: string; id?: string; data: unknown };

/**
 * Reads a server-sent event stream over a real HTTP connection (fetch's body stream) and
 * parses it by the SSE rules (fields per line, an empty line ends an event), independently of
 * the server's writer. Node 22 has no EventSource without a flag; the browser suite uses Chromium's.
 */
export async function openEventStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: controller.signal });
  const events: StreamEvent[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) return;
        buffer += value;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":") || line === "") continue;
            const colon = line.indexOf(":");
            fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, "");
          }
          if (fields.data !== undefined) events.push({ event: fields.event ?? "message", id: fields.id, data: JSON.parse(fields.data) });
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    response,
    events,
    next: (what: string, predicate: (event: StreamEvent) => boolean, timeoutMs = 10_000) => waitFor(what, async () => events.find(predicate), timeoutMs, 20),
    async close() {
      controller.abort();
      await done;
    },
  };
}
