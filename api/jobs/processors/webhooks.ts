// The webhooks queue (docs/webhooks.md). `dispatch` (a job scheduler's tick) fans new events
// out, mails stock notices, and adds one `deliver` job per endpoint whose head delivery is due;
// the job id is the endpoint's, so an endpoint has one delivery loop at a time (the lease in
// the database holds it across processes). `deliver` runs that loop for a bounded time.
import type { Job, Queue } from "bullmq";
import type { Logger } from "../../../core/logger.ts";
import type { Mailer } from "../../services/mail/mailer.ts";
import { mailStockNotices } from "../../services/mail/stockNoticeMail.ts";
import { deliverEndpoint, endpointsDue, fanOutEvents, type Dispatcher } from "../../services/webhooks/dispatch.ts";

export type WebhookWork = { dispatcher: Dispatcher; queue: Queue; mailer: Mailer | undefined; publicUrl: string; logger: Logger };

/** A delivery loop's time: long enough to drain a backlog in large batches, short enough to hand the worker slot on. */
const deliverBudgetMs = 10_000;
/** How long a loop keeps looking for new events of its endpoint once it has delivered everything. */
const deliverIdleMs = 1_000;

export async function processWebhookJob(work: WebhookWork, job: Job): Promise<unknown> {
  switch (job.name) {
    case "dispatch":
      return dispatch(work);
    case "deliver":
      return deliverEndpoint(work.dispatcher, BigInt(String(job.data.endpointId)), { budgetMs: deliverBudgetMs, idleMs: deliverIdleMs });
    default:
      return { ignored: job.name };
  }
}

async function dispatch(work: WebhookWork): Promise<unknown> {
  const { db } = work.dispatcher;
  let fannedOut = 0;
  for (let taken = await fanOutEvents(db); taken > 0; taken = await fanOutEvents(db)) fannedOut += taken;
  const mailed = await mailStockNotices(db, work.mailer, work.publicUrl).catch((error: unknown) => {
    work.logger.warn({ err: { message: (error as Error).message } }, "stock notice mail failed; the next tick tries again");
    return 0;
  });
  const due = await endpointsDue(db, work.dispatcher.clock());
  for (const endpointId of due) {
    await work.queue.add(
      "deliver",
      { endpointId: endpointId.toString() },
      { jobId: `webhook-endpoint-${endpointId}`, attempts: 1, removeOnComplete: true, removeOnFail: true },
    );
  }
  return { fannedOut, mailed, endpoints: due.length };
}
