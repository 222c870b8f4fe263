// BullMQ queues. BullMQ delivers at least once, so every job body is idempotent; job ids
// de-duplicate only while the finished job is kept, hence removeOnComplete keeps them for an
// hour. Workers and producers share these names; only entry points create connections.
import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "../../core/logger.ts";

export const queueNames = {
  /** One job per paid order, job id = order id. */
  fulfilment: "fulfilment",
  /** One job per key import, job id = import id. */
  imports: "imports",
  /** Chain writes: anchor a batch, issue pending entitlements, redeem, anchor the ledger. One sender keeps nonces in order. */
  chain: "chain",
  /** Periodic work: expire unpaid orders, reconcile, anchor the ledger. */
  maintenance: "maintenance",
  /** Webhooks: the dispatch tick and one delivery loop per endpoint (job id = the endpoint's). */
  webhooks: "webhooks",
} as const;

export type QueueName = (typeof queueNames)[keyof typeof queueNames];

export type Queues = {
  fulfilment: Queue;
  imports: Queue;
  chain: Queue;
  maintenance: Queue;
  webhooks: Queue;
  connection: Redis;
  prefix: string;
  close(): Promise<void>;
};

export const defaultJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: "exponential", delay: 200 },
  removeOnComplete: { age: 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function createRedis(url: string): Redis {
  // Workers need maxRetriesPerRequest: null (BullMQ blocks on Redis commands).
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

export function createQueues(redisUrl: string, prefix: string): Queues {
  const connection = createRedis(redisUrl);
  const options = { connection: connection as unknown as ConnectionOptions, prefix, defaultJobOptions };
  const queues = {
    fulfilment: new Queue(queueNames.fulfilment, options),
    imports: new Queue(queueNames.imports, options),
    chain: new Queue(queueNames.chain, options),
    maintenance: new Queue(queueNames.maintenance, options),
    webhooks: new Queue(queueNames.webhooks, options),
  };
  return {
    ...queues,
    connection,
    prefix,
    async close() {
      await Promise.all(Object.values(queues).map((queue) => queue.close()));
      connection.disconnect();
    },
  };
}

/**
 * Logs a Redis outage once when it starts (error level, code `redis_unreachable`) and once when
 * it ends, instead of one console line per reconnect attempt of every queue (BullMQ prints a
 * queue's error events to the console when nobody listens). Errors while connected are logged
 * each.
 */
export function reportQueueErrors(queues: Queues, logger: Logger): void {
  let down = false;
  const onError = (error: Error) => {
    if (queues.connection.status === "ready") {
      logger.warn({ err: error }, "queue error");
      return;
    }
    if (down) return;
    down = true;
    logger.error({ code: "redis_unreachable", err: error }, "Redis is unreachable: jobs wait, paid orders are delivered by the recovery sweep once it is back");
  };
  for (const queue of [queues.fulfilment, queues.imports, queues.chain, queues.maintenance, queues.webhooks]) queue.on("error", onError);
  queues.connection.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info("Redis is reachable again");
  });
}
