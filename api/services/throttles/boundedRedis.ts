// Redis calls on a request's path that guard a secret (the guessing throttles, the verify
// budget, the captcha's single-use store) answer within a bound. The API's Redis connection is
// BullMQ's, which queues commands while Redis is away (maxRetriesPerRequest: null), so without a
// bound a login, look-up or verify hung until Redis came back. The bound fails closed: a guess is
// refused (503 `throttle_unavailable`, retryable), never let through uncounted.
// - While the connection is known to be down (reconnecting, closed), the call is not sent at all,
//   so an outage does not pile commands into the offline queue.
// - Otherwise the call races a timer; one that loses may still run when Redis returns, which
//   only counts an attempt that was refused: harmless, and on the safe side.
import type { Redis } from "ioredis";
import { AppError } from "../../../core/errors.ts";

/** Runs a request-path Redis call within the bound, or throws 503 `throttle_unavailable`. */
export type RedisBound = <T>(call: () => Promise<T>) => Promise<T>;

const downStatuses = new Set(["reconnecting", "close", "end"]);

function unavailable(): AppError {
  return new AppError("throttle_unavailable", "The attempt counter is unavailable for a moment, so the request was not checked. Try again in a few seconds.", {
    details: { retryAfterSeconds: 5 },
    retryable: true,
  });
}

export function createRedisBound(connection: Redis, timeoutMs: number): RedisBound {
  return async (call) => {
    if (downStatuses.has(connection.status)) throw unavailable();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(unavailable()), timeoutMs);
    });
    const answered = call();
    // The losing call's rejection (e.g. the connection ending later) must not go unhandled.
    answered.catch(() => {});
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
}
