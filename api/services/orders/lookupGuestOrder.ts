// A guest finds an order again by order number + contact + query password. The query password
// is short and chosen by a person, so the look-up is a guessing target: every attempt takes
// its throttle points before the password is checked (api/services/throttles/attemptThrottle.ts),
// under three rules, taken in this order (docs/decisions.md, "Guessing throttles"):
//   orderClient  per order and client address: the tight limit, so one client's wrong guesses
//                lock out that client only, never the real guest elsewhere;
//   client       per client address over all orders: bounds one client probing many orders;
//   order        per order from all clients: bounds a guesser spread over many addresses.
// A guest locked out of the look-up still has the order's access token (the mail link and the
// checkout's answer), which opens the order page without the look-up and its throttle.
import { AppError } from "../../../core/errors.ts";
import type { Drizzle } from "../../../core/store/database.ts";
import type { AttemptThrottle, ThrottleRule } from "../throttles/attemptThrottle.ts";
import { checkQueryPassword } from "./orderAccess.ts";
import { getOrderRecord, type OrderRecord } from "./orderRecord.ts";

export type LookupThrottleSettings = {
  attemptsPerOrderAndClientMax: number;
  attemptsPerOrderMax: number;
  attemptsPerClientMax: number;
  windowSeconds: number;
};

export function lookupThrottleRules(settings: LookupThrottleSettings): ThrottleRule[] {
  return [
    { name: "orderClient", points: settings.attemptsPerOrderAndClientMax, windowSeconds: settings.windowSeconds },
    { name: "client", points: settings.attemptsPerClientMax, windowSeconds: settings.windowSeconds },
    { name: "order", points: settings.attemptsPerOrderMax, windowSeconds: settings.windowSeconds },
  ];
}

export type LookupGuestOrderInput = { orderId: string; contact: string; queryPassword: string; clientAddress: string };

export async function lookupGuestOrder(db: Drizzle, throttle: AttemptThrottle, pepper: string, input: LookupGuestOrderInput): Promise<OrderRecord> {
  const attempt = await throttle.take({
    orderClient: `${input.orderId}|${input.clientAddress}`,
    order: input.orderId,
    client: input.clientAddress,
  });
  const order = await getOrderRecord(db, input.orderId);
  const matches =
    order !== undefined &&
    order.contact === input.contact &&
    order.queryPasswordHash !== null &&
    checkQueryPassword(pepper, order.id, input.queryPassword, order.queryPasswordHash);
  // The same answer for "no such order" and "wrong contact or password".
  if (!matches) throw new AppError("not_found", "No order matches this order number, contact and query password.");
  await attempt.refund();
  return order;
}
