// Producers of jobs. Job ids make a second enqueue of the same work a no-op while the first
// job is kept; the job bodies are idempotent anyway (BullMQ delivers at least once).
import type { Redis } from "ioredis";
import type { Logger } from "../../core/logger.ts";
import type { Queues } from "./queues.ts";
import { currentRequestId } from "../../core/observability/requestContext.ts";

/**
 * A job's data with the id of the request that caused it, when there is one: the worker runs
 * the job in that request's context, so its log lines carry the same id (api/jobs/workers.ts).
 */
export function withRequestId<Data extends Record<string, string>>(data: Data): Data & { requestId?: string } {
  const requestId = currentRequestId();
  return requestId === undefined ? data : { ...data, requestId };
}

/** A job as Queue.add and Queue.addBulk take it: one description for the single and the bulk enqueue. */
type JobDescription = { name: string; data: Record<string, string>; opts: { jobId: string } };

// The fulfilment job's id is the order id: however often a paid order is handed over (the
// notification, the recovery sweep, a chain payment), BullMQ keeps one job for it.
function fulfilmentJob(orderId: string): JobDescription {
  return { name: "fulfil", data: withRequestId({ orderId }), opts: { jobId: orderId } };
}

export async function enqueueFulfilment(queues: Queues, orderId: string): Promise<void> {
  const job = fulfilmentJob(orderId);
  await queues.fulfilment.add(job.name, job.data, job.opts);
}

/**
 * Fulfilment of an order the merchant approved after review (api/services/risk/reviewOrder.ts).
 * Its own job id: the payment's fulfilment job (id = order id) already ran and skipped the held
 * order, and BullMQ keeps finished jobs for an hour, so adding that id again would do nothing.
 */
export async function enqueueApprovedFulfilment(queues: Queues, orderId: string): Promise<void> {
  const job = fulfilmentJob(orderId);
  await queues.fulfilment.add(job.name, job.data, { ...job.opts, jobId: `${orderId}-approved` });
}

/**
 * Fulfilment of the members of a group that filled (docs/groupbuy.md). Its own job ids: each
 * member's payment job (id = order id) already ran and left the held order alone.
 */
export async function enqueueGroupFulfilments(queues: Queues, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length > 0) await queues.fulfilment.addBulk(orderIds.map((orderId) => ({ ...fulfilmentJob(orderId), opts: { jobId: `${orderId}-group` } })));
}

/** The cross-instance purchase of a paid order of a remote listing (api/services/crossdock/purchase.ts). */
export const crossdockJobName = "crossdock-purchase";

/**
 * One job per order (its id names the order), retried with backoff while the upstream is not ready:
 * about an hour in all, past the purchase's deadline, whose run then refunds the order.
 */
export async function enqueueCrossdockPurchase(queues: Queues, orderId: string): Promise<void> {
  await queues.fulfilment.add(crossdockJobName, withRequestId({ orderId }), {
    jobId: `crossdock-${orderId}`,
    attempts: 12,
    backoff: { type: "exponential", delay: 1000 },
  });
}

/** The delayed job that expires a group when its time runs out (the maintenance sweep is its safety net). */
export async function enqueueGroupExpiry(queues: Queues, groupId: string, delayMs: number): Promise<void> {
  await queues.maintenance.add("group-expiry", withRequestId({ groupId }), { jobId: `group-expiry-${groupId}`, delay: Math.max(0, delayMs) });
}

/** One round trip for many orders (a MULTI of BullMQ's add script: an existing job id is left as it is). */
export async function enqueueFulfilments(queues: Queues, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length > 0) await queues.fulfilment.addBulk(orderIds.map(fulfilmentJob));
}

/** The import job's id: one job per import, found again by the lost-job sweep. */
export function importJobId(importId: bigint): string {
  return `import-${importId}`;
}

function importJob(importId: bigint): JobDescription {
  return { name: "import", data: withRequestId({ importId: String(importId) }), opts: { jobId: importJobId(importId) } };
}

export async function enqueueImport(queues: Queues, importId: bigint): Promise<void> {
  const job = importJob(importId);
  await queues.imports.add(job.name, job.data, job.opts);
}

export async function enqueueImports(queues: Queues, importIds: readonly bigint[]): Promise<void> {
  if (importIds.length > 0) await queues.imports.addBulk(importIds.map(importJob));
}

export async function enqueueAnchor(queues: Queues, batchId: bigint): Promise<void> {
  await queues.chain.add("anchor-batch", withRequestId({ batchId: String(batchId) }), { jobId: `anchor-${batchId}` });
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

export type HandOverToRedisContext = { queues: Pick<Queues, "connection">; config: { redis: { enqueueTimeoutMs: number } }; logger: Logger };

/** What the log says when Redis did not take a hand-over: a stable code, a sentence, the ids involved. */
export type SkippedHandOver = { code: string; message: string; fields: Record<string, unknown> };

/**
 * handOverWithin with the request's settings (JOB_ENQUEUE_TIMEOUT_MS), logging a warning with
 * `skipped.code` and the outcome when Redis did not take the command. For requests whose work
 * has committed in PostgreSQL: they answer on time, and a sweep (or a timeout) covers the rest.
 */
export async function handOverToRedis(ctx: HandOverToRedisContext, send: () => Promise<unknown>, skipped: SkippedHandOver): Promise<HandOverOutcome> {
  const outcome = await handOverWithin(ctx.queues.connection, ctx.config.redis.enqueueTimeoutMs, send);
  if (outcome !== "done") ctx.logger.warn({ code: skipped.code, outcome, ...skipped.fields }, skipped.message);
  return outcome;
}
