// Work the indexer process does for the platform after its commits, outside the sync
// transaction: the periodic reconciliation. On-chain payments are not handled here: the indexer
// records them (chain_payments) and the API's workers accept them after finality (the
// `chain-payments` job, api/services/orders/processChainPayments.ts), so the indexer never
// reaches into the order service and api/ and indexer/ stay independent (docs/decisions.md).
import type { Logger } from "pino";
import type { Config } from "../core/config.ts";
import type { IndexerContext } from "./context.ts";

// A redemption recorded this long ago must be final on-chain (the chain writer's retry budget).
const redemptionGraceSeconds = 15 * 60;

export type PlatformTasks = { afterCommit(context: IndexerContext): Promise<void>; close(): Promise<void> };

export function createPlatformTasks(config: Config, logger: Logger): PlatformTasks {
  let lastReconcileAt = Date.now();
  return {
    async afterCommit(context) {
      const interval = config.indexer.reconcileIntervalMs;
      const registry = context.platform.registryAddress;
      if (interval > 0 && registry && Date.now() - lastReconcileAt >= interval) {
        lastReconcileAt = Date.now();
        const { reconcile } = await import("./reconcile/reconcile.ts");
        const { findings, runId, durationMs, checked } = await reconcile(context.session, {
          chainId: context.chainId,
          registryAddress: registry as `0x${string}`,
          redemptionGraceSeconds,
        });
        (findings.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger))(
          { runId: runId.toString(), findings: findings.length, durationMs, checked },
          "reconciliation finished",
        );
      }
    },
    async close() {},
  };
}
