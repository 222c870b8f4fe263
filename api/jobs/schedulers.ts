// The job schedulers of the platform's periodic work, and what keeps them alive.
//
// BullMQ keeps a job scheduler in Redis only. A Redis that restarts empty (this platform runs it
// without persistence), is flushed, or fails over to an empty replica loses every scheduler, and
// nothing declares them again while the workers run: in a soak, a Redis killed and brought back
// left 1,785 sales unissued, the ledger unanchored and unpaid orders unexpired for good. So the
// schedulers are declared (idempotent upserts) at start, again whenever the queue connection
// becomes ready (ioredis's 'ready' follows every reconnect), and checked by a timer of the
// worker process, not by a BullMQ job: the queue may be what is broken.
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../../core/logger.ts";

export type JobSchedulerDeclaration = {
  queue: Queue;
  /** The scheduler's id; its jobs are named `jobName`. */
  id: string;
  jobName: string;
  everyMs: number;
};

/** Why a scheduler needs declaring again: it is gone, or its next job is (BullMQ then never runs it again). */
export type MissingJobScheduler = { declaration: JobSchedulerDeclaration; missing: "scheduler" | "next_job" };

// A scheduled sweep that fails is not retried: the next tick does the same work.
const scheduledJobOptions = { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } };

export async function declareJobSchedulers(declarations: JobSchedulerDeclaration[]): Promise<void> {
  for (const declaration of declarations) {
    await declaration.queue.upsertJobScheduler(declaration.id, { every: declaration.everyMs }, { name: declaration.jobName, opts: scheduledJobOptions });
  }
}

/** The declared schedulers that Redis has lost, or whose next job it has lost. */
export async function findMissingJobSchedulers(declarations: JobSchedulerDeclaration[]): Promise<MissingJobScheduler[]> {
  const missing: MissingJobScheduler[] = [];
  for (const declaration of declarations) {
    const lost = await lostPart(declaration);
    if (lost) missing.push({ declaration, missing: lost });
  }
  return missing;
}

// A worker that takes a scheduled job moves the scheduler to its next job in the same step, and
// the job taken is removed once it completes; a second read tells a scheduler that moved on
// between the two reads from one whose next job is really gone.
const nextJobReadsMax = 2;

async function lostPart(declaration: JobSchedulerDeclaration): Promise<MissingJobScheduler["missing"] | undefined> {
  for (let read = 0; read < nextJobReadsMax; read++) {
    const scheduler = await declaration.queue.getJobScheduler(declaration.id);
    if (!scheduler) return "scheduler";
    if (scheduler.next == null) return "next_job";
    if (await declaration.queue.getJob(`repeat:${declaration.id}:${scheduler.next}`)) return undefined;
  }
  return "next_job";
}

export type JobSchedulerSupervisor = {
  /** One self-test now: declares what is missing again; resolves to how many were missing. */
  check(): Promise<number>;
  stop(): void;
};

export type SuperviseJobSchedulersParameters = {
  /** The connection the queues send their commands on: its 'ready' follows every reconnect. */
  connection: Redis;
  declarations: JobSchedulerDeclaration[];
  logger: Logger;
  checkIntervalMs: number;
};

/** The stable code of the alert raised when a scheduler had to be declared again. */
export const jobSchedulerMissingCode = "job_scheduler_missing";

export function superviseJobSchedulers(parameters: SuperviseJobSchedulersParameters): JobSchedulerSupervisor {
  const { connection, declarations, logger } = parameters;
  const onReady = () => {
    declareJobSchedulers(declarations).then(
      () => logger.info({ schedulers: declarations.length }, "job schedulers declared again: the queue connection is ready"),
      (error: unknown) => logger.warn({ err: error }, "declaring the job schedulers after a reconnect failed; the self-test tries again"),
    );
  };
  connection.on("ready", onReady);

  let checking: Promise<number> | undefined;
  const checkOnce = async (): Promise<number> => {
    // Commands sent while disconnected would wait in ioredis's offline queue; the next check
    // comes soon enough, and the reconnect itself declares every scheduler.
    if (connection.status !== "ready") {
      logger.warn({ code: "job_queue_unreachable", status: connection.status }, "job scheduler self-test skipped: Redis is not connected");
      return 0;
    }
    const missing = await findMissingJobSchedulers(declarations);
    for (const { declaration, missing: part } of missing) {
      logger.error(
        { code: jobSchedulerMissingCode, queue: declaration.queue.name, scheduler: declaration.id, missing: part },
        "job scheduler missing from Redis: declared again",
      );
    }
    if (missing.length > 0) await declareJobSchedulers(missing.map((entry) => entry.declaration));
    return missing.length;
  };
  // One check at a time: a slow Redis must not pile checks up.
  const check = () => {
    checking ??= checkOnce().finally(() => {
      checking = undefined;
    });
    return checking;
  };
  const timer = setInterval(() => {
    check().catch((error: unknown) => logger.warn({ err: error }, "job scheduler self-test failed; it runs again at the next interval"));
  }, parameters.checkIntervalMs);
  // The timer alone never keeps a process alive; the workers do.
  timer.unref();
  return {
    check,
    stop() {
      clearInterval(timer);
      connection.off("ready", onReady);
    },
  };
}
