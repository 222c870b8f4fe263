// Verifies a Keyledger webhook delivery (docs/webhooks.md). Copy this file into a receiver:
// it needs only node:crypto. test/webhooks/verifyWebhook.test.ts imports it to check real
// deliveries, so the documented snippet is the tested one.
//
//   const event = verifyWebhook(rawBody, request.headers["keyledger-signature"], [secret]);
//   if (seen.has(event.id)) return; // at-least-once delivery: drop duplicates by event id
//
// `rawBody` must be the bytes as received (parse JSON only after verifying). `secrets` are the
// endpoint's secrets the receiver knows; during a rotation the header carries one v1 per
// active secret, so a receiver holding either the old or the new secret verifies.
import { createHmac, timingSafeEqual } from "node:crypto";

export type WebhookEvent = { id: string; type: string; sequence: number; shopId: string; createdAt: string; data: Record<string, unknown> };

/** Deliveries whose timestamp is further than this from the receiver's clock are refused (replays). */
export const toleranceSecondsDefault = 300;

export class WebhookVerificationError extends Error {}

export function verifyWebhook(
  rawBody: string | Buffer,
  signatureHeader: string | string[] | undefined,
  secrets: readonly string[],
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): WebhookEvent {
  if (typeof signatureHeader !== "string") throw new WebhookVerificationError("missing Keyledger-Signature header");
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of signatureHeader.split(",")) {
    const [name, value] = part.split("=", 2);
    if (name === "t" && value && /^\d+$/.test(value)) timestamp = Number(value);
    if (name === "v1" && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) throw new WebhookVerificationError("malformed Keyledger-Signature header");
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? toleranceSecondsDefault)) throw new WebhookVerificationError("timestamp outside the tolerance");
  const body = typeof rawBody === "string" ? rawBody : rawBody.toString("utf8");
  const matches = secrets.some((secret) => {
    const expected = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest();
    return signatures.some((signature) => timingSafeEqual(expected, Buffer.from(signature, "hex")));
  });
  if (!matches) throw new WebhookVerificationError("no signature matches");
  return JSON.parse(body) as WebhookEvent;
}
