// Group commit for fulfilments: the worker runs many fulfilment jobs at once, and each used to
// send its own statement and commit. Here the orders whose jobs arrive while earlier batches
// are in flight go together in one statement (fulfilReservedBatch), one round trip and one
// commit for all of them. A lone job leaves at once (after the current macrotask), so idle
// latency is unchanged. Each job stays its own BullMQ job (job id = order id); only the
// database work is shared. An order the batch did not fulfil (not paid, manual, keys lost)
// and every order of a batch whose statement failed takes its own careful path
// (fulfilOrder.ts), so one bad order never decides for the others.
import type { Drizzle } from "../../store/database.ts";
import { fulfilReservedBatch } from "./fulfilOrder.ts";

export type FulfilmentBatcher = {
  /** True when the order was fulfilled by a batch; false sends the caller to the careful path. */
  fulfilReserved(orderId: string): Promise<boolean>;
  stats(): { batches: number; orders: number; failures: number };
};

export type FulfilmentBatcherOptions = { batchSizeMax: number; flushesInFlightMax: number };

export const fulfilmentBatcherDefault: FulfilmentBatcherOptions = { batchSizeMax: 64, flushesInFlightMax: 2 };

type Waiting = { orderId: string; resolve(fulfilled: boolean): void };

export function createFulfilmentBatcher(db: Drizzle, options: FulfilmentBatcherOptions = fulfilmentBatcherDefault): FulfilmentBatcher {
  const queue: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;
  const stats = { batches: 0, orders: 0, failures: 0 };

  function schedule(): void {
    if (scheduled || queue.length === 0 || inFlight >= options.flushesInFlightMax) return;
    // After the current macrotask: jobs that BullMQ hands over in one burst leave together.
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      while (queue.length > 0 && inFlight < options.flushesInFlightMax) {
        inFlight += 1;
        void flush(queue.splice(0, options.batchSizeMax)).finally(() => {
          inFlight -= 1;
          schedule();
        });
      }
    });
  }

  async function flush(batch: Waiting[]): Promise<void> {
    // The same order twice in one batch (a redelivered job): only the first is sent; the other
    // takes the careful path, which waits for this commit and finds the order done.
    const first = new Map<string, Waiting>();
    const repeated: Waiting[] = [];
    for (const waiting of batch) {
      if (first.has(waiting.orderId)) repeated.push(waiting);
      else first.set(waiting.orderId, waiting);
    }
    stats.batches += 1;
    stats.orders += first.size;
    let fulfilled = new Set<string>();
    try {
      fulfilled = await fulfilReservedBatch(db, [...first.keys()]);
    } catch {
      // Nothing was written (one statement): each order goes its own way.
      stats.failures += 1;
    }
    for (const waiting of first.values()) waiting.resolve(fulfilled.has(waiting.orderId));
    for (const waiting of repeated) waiting.resolve(false);
  }

  return {
    fulfilReserved(orderId) {
      return new Promise<boolean>((resolve) => {
        queue.push({ orderId, resolve });
        schedule();
      });
    },
    stats: () => ({ ...stats }),
  };
}
