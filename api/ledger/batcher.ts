// Group commit (TigerBeetle's batching, on PostgreSQL): callers post one journal transaction
// each; the batcher sends everything that queued while earlier batches were in flight as one
// ledger_post_batch call, so one database transaction, one round trip and one commit carry
// many journal transactions, and a hot account's balance row is written once per batch.
//
// A batch leaves as soon as a flush slot is free (after the current macrotask), so a lone
// caller pays no added latency, and under load batches grow by themselves while the slots are
// busy. `batchWaitMs` can add a short wait to build bigger batches anyway.
//
// Use it for writes that stand alone (jobs, benchmarks, webhooks that post after their own
// commit). A write that must commit atomically with the caller's other writes calls
// postJournal(tx, ...) inside the caller's transaction instead.
import { AppError } from "../../core/errors.ts";
import type { Drizzle } from "../../core/store/database.ts";
import { postJournalEntries, resultToError } from "./postJournal.ts";
import { validateJournalInput } from "./validateJournalInput.ts";
import type { JournalInput, JournalResult, PostJournalReturnType } from "./types.ts";

export type JournalBatcherOptions = {
  /** Most journal transactions in one database transaction. */
  batchSizeMax: number;
  /** Batches in flight at once (each holds one pooled connection). */
  flushesInFlightMax: number;
  /** Wait before a batch leaves, to gather more entries; 0 sends it after the current macrotask. */
  batchWaitMs: number;
  /** Entries waiting beyond this are refused (retryable) instead of queueing without bound. */
  queueLengthMax: number;
};

type Waiting = { input: JournalInput; due: number; resolve(result: JournalResult): void; reject(error: unknown): void };

export type SubmitOptions = {
  /**
   * How long this entry may wait for others to join its batch (default batchWaitMs). A caller
   * that does not wait for the answer (an outbox-backed post) gives a longer wait, so bursts
   * of such entries share one database transaction instead of a few each.
   */
  waitMs?: number;
};

export type JournalBatcher = {
  post(input: JournalInput, options?: SubmitOptions): Promise<PostJournalReturnType>;
  /** The raw per-entry result, for callers that handle expected failures as data. */
  submit(input: JournalInput, options?: SubmitOptions): Promise<JournalResult>;
  /** Waits until everything queued so far is written. */
  drain(): Promise<void>;
  stats(): { batches: number; entries: number; fallbacks: number; batchSizeMaxSeen: number };
};

export function createJournalBatcher(db: Drizzle, options: JournalBatcherOptions): JournalBatcher {
  const queue: Waiting[] = [];
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Infinity;
  // The earliest `due` in the queue, kept as entries come and go (a scan per submit would be
  // quadratic in a queue of thousands).
  let earliestDue = Infinity;
  const stats = { batches: 0, entries: 0, fallbacks: 0, batchSizeMaxSeen: 0 };
  const idleWaiters: (() => void)[] = [];

  function schedule(): void {
    if (queue.length === 0) {
      if (inFlight === 0) for (const resolve of idleWaiters.splice(0)) resolve();
      return;
    }
    if (inFlight >= options.flushesInFlightMax) return;
    if (queue.length >= options.batchSizeMax) {
      flushNow();
      return;
    }
    // Wait at least until the current macrotask ends: when a batch returns, its callers'
    // promises resolve in one burst of microtasks and each submits its next entry; flushing
    // on the first of them would send a batch of one and queue the rest behind it. Beyond
    // that, until the most impatient waiting entry is due.
    const due = earliestDue;
    if (timer && timerDue <= due) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerDue = Infinity;
        flushNow();
      },
      Math.max(0, due - Date.now()),
    );
  }

  function flushNow(): void {
    while (queue.length > 0 && inFlight < options.flushesInFlightMax) {
      const batch = queue.splice(0, options.batchSizeMax);
      earliestDue = Infinity;
      for (const waiting of queue) earliestDue = Math.min(earliestDue, waiting.due);
      inFlight += 1;
      void flush(batch).finally(() => {
        inFlight -= 1;
        schedule();
      });
    }
  }

  async function flush(batch: Waiting[]): Promise<void> {
    stats.batches += 1;
    stats.entries += batch.length;
    stats.batchSizeMaxSeen = Math.max(stats.batchSizeMaxSeen, batch.length);
    try {
      const results = await postJournalEntries(
        db,
        batch.map((waiting) => waiting.input),
      );
      batch.forEach((waiting, index) => {
        waiting.resolve(results[index]!);
      });
    } catch {
      // The whole statement failed (two batches racing to create the same new key, a
      // deadlock while opening new accounts, a lost connection): nothing was written, so each
      // entry is retried alone and gets its own answer or its own error.
      stats.fallbacks += 1;
      for (const waiting of batch) {
        try {
          const [result] = await postJournalEntries(db, [waiting.input]);
          waiting.resolve(result!);
        } catch (error) {
          waiting.reject(error);
        }
      }
    }
  }

  function submit(input: JournalInput, submitOptions: SubmitOptions = {}): Promise<JournalResult> {
    validateJournalInput(input);
    if (queue.length >= options.queueLengthMax) {
      return Promise.reject(
        new AppError("rate_limited", `The ledger batcher has ${options.queueLengthMax} entries waiting; retry shortly.`, {
          retryable: true,
        }),
      );
    }
    return new Promise<JournalResult>((resolve, reject) => {
      const due = Date.now() + (submitOptions.waitMs ?? options.batchWaitMs);
      earliestDue = Math.min(earliestDue, due);
      queue.push({ input, due, resolve, reject });
      schedule();
    });
  }

  return {
    submit,
    async post(input, submitOptions) {
      const result = await submit(input, submitOptions);
      const error = resultToError(input, result);
      if (error) throw error;
      const ok = result as { status: "created" | "exists"; transactionId: bigint };
      return { transactionId: ok.transactionId, created: ok.status === "created" };
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    stats: () => ({ ...stats }),
  };
}
