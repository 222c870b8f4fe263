// How a guest proves an order is theirs, without an account.
// - The query password (查询密码) is stored as HMAC-SHA256 under a server pepper, bound to the
//   order id. It is a look-up password, not a login: online guessing is throttled
//   (api/services/orders/lookupGuestOrder.ts), and without the pepper (never in the database)
//   a leaked table cannot be brute-forced. argon2 would cost ~20 ms of CPU per check for no gain here.
// - An access token is a bearer capability for one order's page, so polling does not resend
//   the password: `v2.<expires unix s>.<generation>.<HMAC(pepper, order, expiry, generation)>`.
//   It expires (ORDER_ACCESS_TOKEN_TTL_SECONDS for the checkout's, the look-up's and the mail's
//   token; ORDER_RETURN_TOKEN_TTL_SECONDS for the one in the payment gateway's return URL, which
//   passes through the gateway's logs and the browser's history), and revoking the order's
//   access raises its generation, which every earlier token names. Comparisons are constant-time.
import { createHmac, timingSafeEqual } from "node:crypto";

export function hashQueryPassword(pepper: string, orderId: string, password: string): Buffer {
  return createHmac("sha256", pepper).update(`query-password:v1:${orderId}:${password}`).digest();
}

export function checkQueryPassword(pepper: string, orderId: string, password: string, stored: Buffer): boolean {
  const candidate = hashQueryPassword(pepper, orderId, password);
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}

export type OrderAccessGrant = { orderId: string; generation: number; expiresAt: Date };

function accessMac(pepper: string, orderId: string, expiresUnixSeconds: number, generation: number): string {
  return createHmac("sha256", pepper).update(`order-access:v2:${orderId}:${expiresUnixSeconds}:${generation}`).digest("base64url");
}

export function orderAccessToken(pepper: string, grant: OrderAccessGrant): string {
  const expires = Math.floor(grant.expiresAt.getTime() / 1000);
  return `v2.${expires}.${grant.generation}.${accessMac(pepper, grant.orderId, expires, grant.generation)}`;
}

/** A token for `ttlSeconds` from now, under the order's current access generation. */
export function issueOrderAccessToken(pepper: string, order: { id: string; accessGeneration: number }, ttlSeconds: number, now = Date.now()): string {
  return orderAccessToken(pepper, { orderId: order.id, generation: order.accessGeneration, expiresAt: new Date(now + ttlSeconds * 1000) });
}

const tokenShape = /^v2\.(\d{1,12})\.(\d{1,10})\.([A-Za-z0-9_-]{43})$/;

/** True when the token is this order's, unexpired, and of its current access generation. */
export function checkOrderAccessToken(pepper: string, order: { id: string; accessGeneration: number }, token: string, now = Date.now()): boolean {
  const parts = tokenShape.exec(token);
  if (!parts) return false;
  const expires = Number(parts[1]);
  const generation = Number(parts[2]);
  const expected = Buffer.from(accessMac(pepper, order.id, expires, generation));
  const given = Buffer.from(parts[3]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  return generation === order.accessGeneration && expires * 1000 > now;
}
