// Work the indexer process does for the platform after its commits, outside the sync
// transaction: the on-chain payments outbox (acceptPayment + fulfilment enqueueing) and the
// periodic reconciliation. Their modules, the ORM and Redis are loaded only when first needed:
// they cost more than a second of process start (measured), which backfill should not wait for.
import type { Logger } from "pino";
import type { Config } from "../api/config.ts";
import type { Database } from "../api/store/database.ts";
import type { Queues } from "../api/jobs/queues.ts";
import type { IndexerContext } from "./context.ts";

// Payments handled per commit at most: bounded so a burst never stalls the sync loop.
const paymentsPerCommitMax = 200;
// A redemption recorded this long ago must be final on-chain (the chain writer's retry budget).
const redemptionGraceSeconds = 15 * 60;
const nativeAsset = "0x0000000000000000000000000000000000000000";

export type PlatformTasks = { afterCommit(context: IndexerContext): Promise<void>; close(): Promise<void> };

/** `shared`: the in-process platform's database, used instead of opening another (and left open). */
export function createPlatformTasks(config: Config, logger: Logger, shared?: Database): PlatformTasks {
  let database: Database | undefined = shared;
  let queues: Queues | undefined;
  let lastReconcileAt = Date.now();
  const assets = new Map<string, string>([[nativeAsset, "ETH"]]);
  if (config.chain.stablecoinAddress) assets.set(config.chain.stablecoinAddress.toLowerCase(), config.chain.stablecoinCurrency);

  const orm = async () => {
    if (!database) {
      const { openDatabase } = await import("../api/store/database.ts");
      database = await openDatabase("url" in config.database && config.database.url ? { url: config.database.url, poolSizeMax: 2, applicationName: "keyledger-indexer-tasks" } : { dataDir: `${config.dataDir}/pglite` });
    }
    return database;
  };

  return {
    async afterCommit(context) {
      const { rows } = await context.session.query<{ pending: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM chain_payments p JOIN indexer_checkpoints c ON c.chain_id = p.chain_id AND p.block_number <= c.finalized_number
           WHERE p.chain_id = $1 AND NOT EXISTS (SELECT 1 FROM chain_payment_outcomes x WHERE x.chain_id = p.chain_id AND x.block_number = p.block_number AND x.log_index = p.log_index)) AS pending`,
        [context.chainId],
      );
      if (rows[0]?.pending) {
        const { db } = await orm();
        const { processChainPayments } = await import("./handlers/processChainPayments.ts");
        const result = await processChainPayments(db, {
          chainId: context.chainId,
          assets,
          platformFeeBps: config.orders.platformFeeBps,
          batchSizeMax: paymentsPerCommitMax,
          onAccepted: async (orderId) => {
            if (!config.redis.url) {
              // The maintenance job re-enqueues paid orders that were never fulfilled.
              logger.warn({ orderId }, "REDIS_URL is not set: fulfilment of an on-chain payment waits for the maintenance job");
              return;
            }
            const { createQueues } = await import("../api/jobs/queues.ts");
            const { enqueueFulfilment } = await import("../api/jobs/enqueue.ts");
            queues ??= createQueues(config.redis.url, config.redis.prefix);
            await enqueueFulfilment(queues, orderId);
          },
        });
        logger.info({ processed: result.processed, outcomes: result.outcomes }, "on-chain payments processed");
      }
      const interval = config.indexer.reconcileIntervalMs;
      const registry = context.platform.registryAddress;
      if (interval > 0 && registry && Date.now() - lastReconcileAt >= interval) {
        lastReconcileAt = Date.now();
        const { reconcile } = await import("./reconcile/reconcile.ts");
        const { findings, runId } = await reconcile(context.session, { chainId: context.chainId, registryAddress: registry as `0x${string}`, redemptionGraceSeconds });
        (findings.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger))({ runId: runId.toString(), findings: findings.length }, "reconciliation finished");
      }
    },
    async close() {
      await queues?.close();
      if (!shared) await database?.close();
    },
  };
}
