// Order state changes fan out over Redis pub/sub so a buyer's order page can wait for its
// delivery in one request (long poll) instead of asking again every few milliseconds. The
// worker publishes after fulfilment commits; every API process subscribes once and wakes the
// requests waiting for that order. Waiting is bounded in time and in number of waiters.
import type { Redis } from "ioredis";

export type OrderEvents = {
  publish(orderId: string): Promise<void>;
  /** Resolves when the order changes or after timeoutMs; false when too many are waiting. */
  wait(orderId: string, timeoutMs: number): { changed: Promise<boolean>; cancel(): void } | undefined;
  /** Wakes every waiting request and takes no more waiters: a shutting-down process answers them now instead of holding its stop for up to their timeout. */
  release(): void;
  close(): Promise<void>;
};

export const orderWaitersMax = 10_000;

export function orderEventsChannel(prefix: string): string {
  return `${prefix}:order-events`;
}

export async function createOrderEvents(connection: Redis, prefix: string, waitersMax = orderWaitersMax): Promise<OrderEvents> {
  const channel = orderEventsChannel(prefix);
  const subscriber = connection.duplicate();
  // ioredis reconnects and subscribes again by itself; the queue connection reports the outage
  // (api/jobs/queues.ts), so this one's errors would only repeat it.
  subscriber.on("error", () => {});
  const waiters = new Map<string, Set<(changed: boolean) => void>>();
  let waiting = 0;
  let released = false;
  subscriber.on("message", (_channel: string, orderId: string) => {
    const set = waiters.get(orderId);
    if (!set) return;
    waiters.delete(orderId);
    for (const wake of set) wake(true);
  });
  await subscriber.subscribe(channel);
  const release = () => {
    released = true;
    for (const set of waiters.values()) for (const wake of set) wake(false);
    waiters.clear();
  };
  return {
    async publish(orderId) {
      await connection.publish(channel, orderId);
    },
    wait(orderId, timeoutMs) {
      if (released || waiting >= waitersMax) return undefined;
      let wake!: (changed: boolean) => void;
      let timer: NodeJS.Timeout;
      let settled = false;
      const changed = new Promise<boolean>((resolve) => {
        // Settles once: a message, the timeout and cancel() may each try, and only the first
        // may give its slot back (a woken request still calls cancel() when it finishes).
        wake = (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          waiting -= 1;
          resolve(value);
        };
      });
      waiting += 1;
      const set = waiters.get(orderId) ?? new Set();
      set.add(wake);
      waiters.set(orderId, set);
      const remove = () => {
        set.delete(wake);
        if (set.size === 0 && waiters.get(orderId) === set) waiters.delete(orderId);
      };
      timer = setTimeout(() => {
        remove();
        wake(false);
      }, timeoutMs);
      return {
        changed,
        cancel() {
          if (!set.has(wake)) return;
          remove();
          wake(false);
        },
      };
    },
    release,
    async close() {
      release();
      subscriber.disconnect();
    },
  };
}
