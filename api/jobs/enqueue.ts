// Producers of jobs. Job ids make a second enqueue of the same work a no-op while the first
// job is kept; the job bodies are idempotent anyway (BullMQ delivers at least once).
import type { Redis } from "ioredis";
import type { Queues } from "./queues.ts";

export async function enqueueFulfilment(queues: Queues, orderId: string): Promise<void> {
  await queues.fulfilment.add("fulfil", { orderId }, { jobId: orderId });
}

/** The import job's id: one job per import, found again by the lost-job sweep. */
export function importJobId(importId: bigint): string {
  return `import-${importId}`;
}

export async function enqueueImport(queues: Queues, importId: bigint): Promise<void> {
  await queues.imports.add("import", { importId: String(importId) }, { jobId: importJobId(importId) });
}

export async function enqueueAnchor(queues: Queues, batchId: bigint): Promise<void> {
  await queues.chain.add("anchor-batch", { batchId: String(batchId) }, { jobId: `anchor-${batchId}` });
}

/** How a bounded hand-over to Redis ended. */
export type HandOverOutcome = "done" | "failed" | "timed_out" | "not_connected";

/**
 * Runs `send` (a queue or pub/sub command) if Redis is connected, waiting at most `timeoutMs`;
 * never throws. For work whose state is already committed in PostgreSQL, which a sweep finds
 * again when the command is lost: the caller answers on time whatever Redis does. A command
 * sent to a disconnected client would wait in ioredis's offline queue (unbounded), so none is
 * sent then.
 */
export async function handOverWithin(connection: Redis, timeoutMs: number, send: () => Promise<unknown>): Promise<HandOverOutcome> {
  if (connection.status !== "ready") return "not_connected";
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<HandOverOutcome>((resolve) => {
    timer = setTimeout(() => resolve("timed_out"), timeoutMs);
  });
  const sent = send().then(
    (): HandOverOutcome => "done",
    (): HandOverOutcome => "failed",
  );
  try {
    return await Promise.race([sent, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
