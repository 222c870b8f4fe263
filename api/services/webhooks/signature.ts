// The Keyledger-Signature header of a delivery, Stripe-style: `t=<unix seconds>` then one
// `v1=<hex HMAC-SHA256(secret, t + "." + body)>` per active secret (several during a rotation's
// overlap). The receiver's side is docs/examples/verifyWebhook.ts; test/vectors holds a known answer.
import { createHmac, randomBytes } from "node:crypto";

export const signatureHeaderName = "Keyledger-Signature";

export function signatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  const signed = `${timestampSeconds}.${body}`;
  return [`t=${timestampSeconds}`, ...secrets.map((secret) => `v1=${createHmac("sha256", secret).update(signed).digest("hex")}`)].join(",");
}

/** A new signing secret: 32 random bytes, prefixed so it is recognisable in a receiver's config. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}
