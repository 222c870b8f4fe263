// BullMQ queues. BullMQ delivers at least once, so every job body is idempotent; job ids
// de-duplicate only while the finished job is kept, hence removeOnComplete keeps them for an
// hour. Workers and producers share these names; only entry points create connections.
import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "../../core/logger.ts";
import { requireSetting } from "../../core/config.ts";

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

/** Where Redis is: one URL, or the sentinels that know the current primary of `name` (REDIS_SENTINELS). */
export type RedisTarget = string | { sentinels: { host: string; port: number }[]; name: string };

/** The configured Redis: the sentinels when REDIS_SENTINELS is set, else REDIS_URL (required then). */
export function redisTargetOf(redis: { url?: string; sentinels?: { host: string; port: number }[]; sentinelName: string }): RedisTarget {
  if (redis.sentinels && redis.sentinels.length > 0) return { sentinels: redis.sentinels, name: redis.sentinelName };
  return requireSetting(redis.url, "REDIS_URL", "Point it at Redis, e.g. redis://127.0.0.1:6379 (or REDIS_SENTINELS at its sentinels).");
}

export function createRedis(target: RedisTarget): Redis {
  // Workers need maxRetriesPerRequest: null (BullMQ blocks on Redis commands).
  const common = { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false } as const;
  if (typeof target === "string") return new Redis(target, common);
  return new Redis({
    ...common,
    sentinels: target.sentinels,
    name: target.name,
    // After a failover the old primary may come back as a replica: a write it refuses
    // (READONLY) makes the client reconnect, and the sentinels name the new primary.
    reconnectOnError: (error) => error.message.startsWith("READONLY"),
    // Learn of a failover from the sentinels' +switch-master at once, not at the next error:
    // a killed primary's clients would otherwise wait for their connection to time out.
    failoverDetector: true,
    // Retry quickly: a promotion takes Sentinel a few seconds, and work waits until then.
    retryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
    sentinelRetryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
  });
}

export function createQueues(redisTarget: RedisTarget, prefix: string): Queues {
  const connection = createRedis(redisTarget);
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
