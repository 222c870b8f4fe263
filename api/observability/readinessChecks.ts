// The readiness checks of the API and the workers (core/observability/readiness.ts): the
// database answers, Redis answers, the chain's RPC answers, no queue holds a job waiting longer
// than READY_QUEUE_AGE_SECONDS_MAX, and the indexer is at most READY_INDEXER_LAG_BLOCKS_MAX
// blocks behind the head.
import { lagCheck, type ReadinessCheck } from "../../core/observability/readiness.ts";
import { readIndexerLagBlocks } from "../../core/observability/indexerLag.ts";
import { sql } from "../../core/store/database.ts";
import type { AppContext } from "../context.ts";
import { oldestWaitingAgeSeconds } from "./platformState.ts";

export function platformReadinessChecks(ctx: Pick<AppContext, "config" | "database" | "queues" | "chain">): ReadinessCheck[] {
  const { observability } = ctx.config;
  const queues = { fulfilment: ctx.queues.fulfilment, imports: ctx.queues.imports, chain: ctx.queues.chain, maintenance: ctx.queues.maintenance };
  const checks: ReadinessCheck[] = [
    {
      name: "database",
      async run() {
        await ctx.database.db.execute(sql`SELECT 1`);
        return { ok: true, detail: "answers" };
      },
    },
    {
      name: "redis",
      async run() {
        // A disconnected client would queue the PING until Redis is back: say so at once instead.
        if (ctx.queues.connection.status !== "ready") return { ok: false, detail: `not connected (${ctx.queues.connection.status})` };
        await ctx.queues.connection.ping();
        return { ok: true, detail: "answers" };
      },
    },
    lagCheck("queue_lag", "s oldest waiting job", observability.readyQueueAgeSecondsMax, async () => {
      if (ctx.queues.connection.status !== "ready") return undefined;
      const ages = await Promise.all(Object.values(queues).map((queue) => oldestWaitingAgeSeconds(queue)));
      return Math.round(Math.max(0, ...ages));
    }),
  ];
  const chain = ctx.chain;
  if (chain) {
    checks.push(
      {
        name: "chain",
        async run() {
          return { ok: true, detail: `head ${await chain.publicClient.getBlockNumber()}` };
        },
      },
      lagCheck("indexer_lag", "blocks", observability.readyIndexerLagBlocksMax, async () =>
        readIndexerLagBlocks(ctx.database.db, chain.chainId, await chain.publicClient.getBlockNumber()),
      ),
    );
  }
  return checks;
}
