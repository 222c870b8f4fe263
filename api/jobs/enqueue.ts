// Producers of jobs. Job ids make a second enqueue of the same work a no-op while the first
// job is kept; the job bodies are idempotent anyway (BullMQ delivers at least once).
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
