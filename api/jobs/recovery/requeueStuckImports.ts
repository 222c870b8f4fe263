// An import whose job never reached Redis (the upload answered 202 while Redis was down: the
// import row is the job's outbox), whose job was lost (a Redis that came back empty), or whose
// job used up its attempts (a crash loop) stays queued or running; here its job is enqueued or
// retried. runImport restarts an import cleanly, and the job id is the import's, so an import
// whose job exists is left alone.
//
// It used to wait until an import was 2 minutes old; the job's existence is what tells a lost
// import from one in flight, so the same grace as paid orders (lostJobGraceSeconds) is enough,
// and an upload made during an outage starts at the first sweep after Redis is back.
import type { Job } from "bullmq";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { enqueueImports, importJobId } from "../enqueue.ts";
import type { Queues } from "../queues.ts";
import { drainPages } from "./drainPages.ts";

export type RequeueStuckImportsParameters = { graceSeconds: number; pageSizeMax?: number; pagesMax?: number };
export type RequeueStuckImportsReturnType = { stuck: number; enqueued: number; retried: number };

// Imports are few (each is up to 100,000 keys): 100 job lookups per page, 1,000 imports per run.
const pageSizeMaxDefault = 100;
const pagesMaxDefault = 10;

export async function requeueStuckImports(db: Drizzle, queues: Queues, parameters: RequeueStuckImportsParameters): Promise<RequeueStuckImportsReturnType> {
  let enqueued = 0;
  let retried = 0;
  const drained = await drainPages<{ id: string }>({
    pageSizeMax: parameters.pageSizeMax ?? pageSizeMaxDefault,
    pagesMax: parameters.pagesMax ?? pagesMaxDefault,
    readPage: (after, limit) =>
      queryRows<{ id: string }>(
        db,
        sql`SELECT id::text AS id FROM imports
            WHERE status IN ('queued', 'running') AND created_at < now() - make_interval(secs => ${parameters.graceSeconds})
              AND id > ${after?.id ?? "0"}::bigint
            ORDER BY id LIMIT ${limit}`,
      ),
    handle: async (rows) => {
      const ids = rows.map((row) => BigInt(row.id));
      const jobs: (Job | undefined)[] = await Promise.all(ids.map((id) => queues.imports.getJob(importJobId(id))));
      const missing = ids.filter((_, index) => !jobs[index]);
      await enqueueImports(queues, missing);
      enqueued += missing.length;
      for (const job of jobs) {
        if (job && (await job.isFailed())) {
          await job.retry();
          retried += 1;
        }
      }
    },
  });
  return { stuck: drained.rows, enqueued, retried };
}
