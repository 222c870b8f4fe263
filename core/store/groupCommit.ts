// Group commit for the sale path's one-statement writes (fulfilment, exact payments): callers
// submit one item each; the items that queue while earlier batches are in flight leave
// together as one statement, so one round trip and one commit carry them all. On this
// machine a statement's fixed cost (executor start-up of a multi-CTE write, the commit's WAL
// flush, two wake-ups across processes) outweighed its per-row work: batching the
// fulfilments cut PostgreSQL's CPU for them by more than half (docs/decisions.md).
//
// A batch leaves after the current macrotask, so a lone caller waits for nothing and under
// load batches grow by themselves while the flush slots are busy. The statement decides per
// item: an item it did not do, every item of a batch whose statement failed (nothing was
// written), and an item whose key repeats one already in the batch resolve `undefined`, and
// the caller takes its own careful path for it. So one bad item never decides for the others.
// (The ledger has its own batcher, api/ledger/batcher.ts, which answers every entry itself.)
import type { Logger } from "../logger.ts";

export type GroupCommitOptions = {
  /** Most items in one statement. */
  batchSizeMax: number;
  /** Statements in flight at once (each holds one pooled connection). */
  flushesInFlightMax: number;
  /** Told when a batch's statement failed (its items then took their own paths): for the log. */
  onFailure?: (error: unknown, items: number) => void;
};

export const groupCommitDefault: GroupCommitOptions = { batchSizeMax: 64, flushesInFlightMax: 2 };

/** The default options, with failed batches logged (code and message only: a row's detail may hold a buyer's contact). */
export function loggedGroupCommit(logger: Logger, name: string): GroupCommitOptions {
  return {
    ...groupCommitDefault,
    onFailure: (error, items) => {
      const { code, message } = error as { code?: string; message?: string };
      logger.warn({ groupCommit: name, items, err: { code, message } }, "a group commit's statement failed; its items went one by one");
    },
  };
}

export type GroupCommit<Input, Output> = {
  /** The batch's answer for this item, or undefined: the caller's own path decides it. */
  submit(input: Input): Promise<Output | undefined>;
  stats(): { batches: number; items: number; failures: number };
};

/**
 * `run` gets the batch (no two items with the same key) and answers each item in order,
 * `undefined` for an item it left alone. `keyOf` names what two items must not share in
 * one statement (the order they change).
 */
export function createGroupCommit<Input, Output>(
  run: (inputs: Input[]) => Promise<(Output | undefined)[]>,
  keyOf: (input: Input) => string,
  options: GroupCommitOptions = groupCommitDefault,
): GroupCommit<Input, Output> {
  type Waiting = { input: Input; resolve(output: Output | undefined): void };
  const queue: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;
  const stats = { batches: 0, items: 0, failures: 0 };

  function schedule(): void {
    if (scheduled || queue.length === 0 || inFlight >= options.flushesInFlightMax) return;
    scheduled = true;
    // After the current macrotask: items that arrive in one burst (the jobs BullMQ hands
    // over, the requests read from one socket poll) leave together.
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
    // An item whose key repeats one in the batch goes its own way after this batch commits.
    const seen = new Set<string>();
    const sent: Waiting[] = [];
    const repeated: Waiting[] = [];
    for (const waiting of batch) {
      const key = keyOf(waiting.input);
      if (seen.has(key)) repeated.push(waiting);
      else {
        seen.add(key);
        sent.push(waiting);
      }
    }
    stats.batches += 1;
    stats.items += sent.length;
    let outputs: (Output | undefined)[] = [];
    try {
      outputs = await run(sent.map((waiting) => waiting.input));
    } catch (error) {
      // One statement: nothing was written, and each item takes its own path.
      stats.failures += 1;
      options.onFailure?.(error, sent.length);
    }
    sent.forEach((waiting, index) => {
      waiting.resolve(outputs[index]);
    });
    for (const waiting of repeated) waiting.resolve(undefined);
  }

  return {
    submit(input) {
      return new Promise<Output | undefined>((resolve) => {
        queue.push({ input, resolve });
        schedule();
      });
    },
    stats: () => ({ ...stats }),
  };
}
