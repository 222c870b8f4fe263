// Starts the BullMQ workers of one process. Each worker has its own Redis connection (BullMQ
// blocks on it). The chain queue runs with concurrency 1: one sender keeps the operator's
// nonces in order. Periodic work is scheduled with job schedulers (idempotent upserts, so
// every worker replica may call them), kept alive by api/jobs/schedulers.ts.
import { Worker, type ConnectionOptions, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { AppContext } from "../context.ts";
import { createBatchTreeCache } from "../keys/batchTree.ts";
import { startLedgerBackground } from "../ledger/background.ts";
import { createMailer } from "../services/mail/mailer.ts";
import { createFulfilmentBatcher } from "../services/orders/fulfilOrder.ts";
import { createBuyerSealBatcher } from "../keys/buyerSeal.ts";
import { loggedGroupCommit } from "../../core/store/groupCommit.ts";
import { processChainJob } from "./processors/chain.ts";
import { processFulfilment } from "./processors/fulfilment.ts";
import { processCrossdockPurchase } from "./processors/crossdock.ts";
import { crossdockJobName } from "./enqueue.ts";
import { processImport } from "./processors/imports.ts";
import { processMaintenance } from "./processors/maintenance.ts";
import { processWebhookJob } from "./processors/webhooks.ts";
import { createSender } from "../services/webhooks/sendDelivery.ts";
import { createRedis, queueNames, redisTargetOf } from "./queues.ts";
import { runInRequestContext } from "../../core/observability/requestContext.ts";
import { declareJobSchedulers, superviseJobSchedulers, type JobSchedulerDeclaration } from "./schedulers.ts";

export type WorkerSettings = {
  fulfilmentConcurrency: number;
  importConcurrency: number;
  expiryIntervalMs: number;
  /** Imports and orders that lost their job are looked for this often. */
  recoveryIntervalMs: number;
  /** A paid order is taken for one that lost its fulfilment job once it is this old (younger ones are normally in flight). */
  lostJobGraceSeconds: number;
  /** Final on-chain payments are looked for this often (the indexer records them). */
  chainPaymentsIntervalMs: number;
  /** The after-sales sweep (proceeds holds placed and released, overdue disputes decided) runs this often. */
  disputesIntervalMs: number;
  /** The recommendation counts take in new orders, views and reveals this often. */
  recommendationsIntervalMs: number;
};

export const workerSettingsDefault: WorkerSettings = {
  fulfilmentConcurrency: 16,
  importConcurrency: 2,
  expiryIntervalMs: 5_000,
  recoveryIntervalMs: 30_000,
  lostJobGraceSeconds: 20,
  chainPaymentsIntervalMs: 2_000,
  disputesIntervalMs: 60_000,
  recommendationsIntervalMs: 60_000,
};

/** The platform's periodic work, one scheduler each. */
export function platformJobSchedulers(ctx: AppContext, settings: WorkerSettings): JobSchedulerDeclaration[] {
  const { chain, maintenance } = ctx.queues;
  return [
    // Entitlements wait at most one interval to be collected into an issuance transaction.
    { queue: chain, id: "chain-sweep", jobName: "sweep", everyMs: ctx.config.chain.issueBatchWaitMs },
    // The ledger's anchor goes through the chain queue too: one sender for the operator's nonces.
    { queue: chain, id: "anchor-ledger", jobName: "anchor-ledger", everyMs: ctx.config.ledger.anchorIntervalSeconds * 1000 },
    { queue: maintenance, id: "expire-orders", jobName: "expire-orders", everyMs: settings.expiryIntervalMs },
    { queue: maintenance, id: "chain-payments", jobName: "chain-payments", everyMs: settings.chainPaymentsIntervalMs },
    { queue: maintenance, id: "recover-lost-jobs", jobName: "recover-lost-jobs", everyMs: settings.recoveryIntervalMs },
    { queue: maintenance, id: "disputes", jobName: "disputes", everyMs: settings.disputesIntervalMs },
    { queue: maintenance, id: "recommendations", jobName: "recommendations", everyMs: settings.recommendationsIntervalMs },
    // New webhook events are fanned out and due endpoints get their delivery loop (docs/webhooks.md).
    { queue: ctx.queues.webhooks, id: "webhooks-dispatch", jobName: "dispatch", everyMs: ctx.config.webhooks.dispatchIntervalMs },
  ];
}

/** The id of the request that caused `job` (api/jobs/enqueue.ts withRequestId), if any. */
function requestIdOfJob(job: Job): string | undefined {
  const requestId = (job.data as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === "string" ? requestId : undefined;
}

function runJobInRequestContext<T>(job: Job, work: () => Promise<T>): Promise<T> {
  const requestId = requestIdOfJob(job);
  return requestId === undefined ? work() : runInRequestContext({ requestId }, work);
}

function jobDurationMs(job: Job): number | undefined {
  return job.finishedOn !== undefined && job.processedOn !== undefined ? job.finishedOn - job.processedOn : undefined;
}

export type RunningWorkers = { workers: Worker[]; close(): Promise<void> };

export async function startWorkers(ctx: AppContext, settings: WorkerSettings = workerSettingsDefault): Promise<RunningWorkers> {
  const redisTarget = redisTargetOf(ctx.config.redis);
  // BullMQ leaves connections it was given open on close: they are closed here.
  const connections: Redis[] = [];
  const make = (name: string, processor: (job: Job) => Promise<unknown>, concurrency: number) => {
    const connection = createRedis(redisTarget);
    connections.push(connection);
    const worker = new Worker(name, (job: Job) => runJobInRequestContext(job, () => processor(job)), {
      connection: connection as unknown as ConnectionOptions,
      prefix: ctx.queues.prefix,
      concurrency,
      lockDuration: ctx.config.redis.jobLockDurationMs,
      stalledInterval: ctx.config.redis.jobLockDurationMs,
    });
    worker.on("completed", (job) => {
      // One line per job a request caused (scheduled sweeps carry no request id and stay quiet):
      // the request's id, found again in the API's log, leads here.
      const requestId = requestIdOfJob(job);
      if (requestId !== undefined) ctx.logger.info({ queue: name, job: job.name, jobId: job.id, requestId, durationMs: jobDurationMs(job) }, "job done");
    });
    worker.on("failed", (job, error) => {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      ctx.logger.warn(
        {
          queue: name,
          job: job?.name,
          jobId: job?.id,
          requestId: job ? requestIdOfJob(job) : undefined,
          attempts: job?.attemptsMade,
          err: { message: error.message, cause },
        },
        "job failed",
      );
    });
    worker.on("error", (error) => {
      // Every reconnect attempt fails while Redis is down: the queues log the outage once
      // (reportQueueErrors in api/jobs/queues.ts).
      if (connection.status !== "ready") return;
      ctx.logger.error({ queue: name, err: { message: error.message } }, "worker error");
    });
    return worker;
  };
  // Batch trees are rebuilt from the database once (or handed over by this process's import of
  // the batch) and reused for every issuance of the batch.
  const mailer = createMailer(ctx.config.mail);
  const chainState = { treeCache: createBatchTreeCache(), mailer };
  // The fulfilment jobs in flight share statements and commits (group commit), for delivering
  // the keys and for re-sealing them under their buyers' data keys.
  const fulfilmentBatchers = {
    fulfilments: createFulfilmentBatcher(ctx.database.db, loggedGroupCommit(ctx.logger, "fulfilments")),
    seals: createBuyerSealBatcher(ctx.database.db, ctx.keyRing, loggedGroupCommit(ctx.logger, "buyer seals")),
  };
  const webhookSender = createSender(ctx.config.webhooks);
  const webhookWork = {
    dispatcher: { db: ctx.database.db, keyRing: ctx.keyRing, sender: webhookSender, settings: ctx.config.webhooks, clock: () => new Date() },
    queue: ctx.queues.webhooks,
    mailer,
    publicUrl: ctx.config.http.publicUrl,
    logger: ctx.logger,
  };
  const workers = [
    make(
      queueNames.fulfilment,
      (job) => (job.name === crossdockJobName ? processCrossdockPurchase(ctx, job) : processFulfilment(ctx, mailer, fulfilmentBatchers, job)),
      settings.fulfilmentConcurrency,
    ),
    make(queueNames.imports, (job) => processImport(ctx, chainState.treeCache, job), settings.importConcurrency),
    make(queueNames.chain, (job) => processChainJob(ctx, chainState, job), 1),
    make(queueNames.maintenance, (job) => processMaintenance(ctx, job, settings), 1),
    make(queueNames.webhooks, (job) => processWebhookJob(webhookWork, job), ctx.config.webhooks.concurrency),
  ];
  const schedulers = platformJobSchedulers(ctx, settings);
  await declareJobSchedulers(schedulers);
  // One chain sender across every worker process, not only within one (concurrency 1 above):
  // the operator's nonces must go out in order, and run at scale there are several workers.
  // Kept in Redis (the queue's meta), so declared again whenever Redis comes back, like the schedulers.
  const limitChainSenders = () =>
    ctx.queues.chain
      .setGlobalConcurrency(1)
      .catch((error: unknown) => ctx.logger.warn({ err: error }, "the chain queue's global concurrency could not be set"));
  await limitChainSenders();
  ctx.queues.connection.on("ready", limitChainSenders);
  // Declared again whenever Redis comes back (it may come back empty) and checked on a timer.
  const supervisor = superviseJobSchedulers({
    connection: ctx.queues.connection,
    declarations: schedulers,
    logger: ctx.logger,
    checkIntervalMs: ctx.config.redis.schedulerCheckIntervalMs,
  });
  // The hasher (which chains new journal entries) and hold expiry run in every worker process;
  // both are safe to run concurrently (row locks and idempotent updates, docs/ledger.md).
  const ledger = startLedgerBackground({
    db: ctx.database.db,
    settings: ctx.config.ledger,
    onError: (error, task) => ctx.logger.warn({ task, err: { message: (error as Error).message } }, "ledger background task failed"),
  });
  return {
    workers,
    async close() {
      supervisor.stop();
      ctx.queues.connection.off("ready", limitChainSenders);
      await Promise.all(workers.map((worker) => worker.close()));
      for (const connection of connections) connection.disconnect();
      await ledger.stop();
      webhookSender.close();
    },
  };
}
