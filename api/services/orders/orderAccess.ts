// How a guest proves an order is theirs, without an account.
// - The query password (查询密码) is stored as HMAC-SHA256 under a server pepper, bound to the
//   order id. It is a look-up password, not a login: online guessing is throttled per order
//   (api/http/routes/orders.ts), and without the pepper (never in the database) a leaked
//   table cannot be brute-forced. argon2 would cost ~20 ms of CPU per check for no gain here.
// - The access token returned at checkout is HMAC(pepper, order id): a bearer capability for
//   that order's page, so polling does not resend the password. Comparisons are constant-time.
import { createHmac, timingSafeEqual } from "node:crypto";

export function hashQueryPassword(pepper: string, orderId: string, password: string): Buffer {
  return createHmac("sha256", pepper).update(`query-password:v1:${orderId}:${password}`).digest();
}

export function checkQueryPassword(pepper: string, orderId: string, password: string, stored: Buffer): boolean {
  const candidate = hashQueryPassword(pepper, orderId, password);
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}

export function orderAccessToken(pepper: string, orderId: string): string {
  return createHmac("sha256", pepper).update(`order-access:v1:${orderId}`).digest("base64url");
}

export function checkOrderAccessToken(pepper: string, orderId: string, token: string): boolean {
  const expected = Buffer.from(orderAccessToken(pepper, orderId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
