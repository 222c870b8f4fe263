// The indexer process's health port (HEALTH_PORT; core/observability/healthServer.ts): alive,
// ready when the database and the chain's RPC answer and the indexed checkpoint is at most
// READY_INDEXER_LAG_BLOCKS_MAX blocks behind the head, and its metrics (keyledger_indexer_lag_blocks
// and the process's standard ones). It reads through its own small pool, apart from the sync's
// connection, which holds the writer lock. A standby reports the active indexer's lag: that is
// what the platform sees.
import { createPublicClient, http } from "viem";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import { startHealthServer, type HealthServer } from "../core/observability/healthServer.ts";
import { readIndexerLagBlocks, registerIndexerLagGauge } from "../core/observability/indexerLag.ts";
import { createMetricsRegistry } from "../core/observability/metricsRegistry.ts";
import { lagCheck, type ProcessState } from "../core/observability/readiness.ts";
import { openDatabase, sql, type Database } from "../core/store/database.ts";

export type IndexerHealth = { server: HealthServer; database: Database };

export async function startIndexerHealth(config: Config, logger: Logger, state: ProcessState): Promise<IndexerHealth | undefined> {
  const { observability } = config;
  const databaseUrl = "url" in config.database ? config.database.url : undefined;
  if (observability.healthPort === 0 || !config.chain.rpcUrl || !databaseUrl) return undefined;
  const database = await openDatabase({ url: databaseUrl, poolSizeMax: 2, applicationName: "keyledger-indexer-health" });
  const client = createPublicClient({ transport: http(config.chain.rpcUrl, { retryCount: 0, timeout: observability.readyCheckTimeoutMs }) });
  const chainId = config.indexer.chainId ?? (await client.getChainId());
  const headBlock = () => client.getBlockNumber({ cacheTime: 0 });
  const registry = createMetricsRegistry("indexer");
  registerIndexerLagGauge(registry, {
    db: database.db,
    chainId,
    headBlock,
    onError: (error) => logger.debug({ err: error }, "indexer lag could not be read for this scrape"),
  });
  const server = await startHealthServer({
    host: observability.healthHost,
    port: observability.healthPort,
    state,
    registry,
    metricsToken: observability.metricsToken,
    checkTimeoutMs: observability.readyCheckTimeoutMs,
    checks: [
      {
        name: "database",
        async run() {
          await database.db.execute(sql`SELECT 1`);
          return { ok: true, detail: "answers" };
        },
      },
      {
        name: "chain",
        async run() {
          return { ok: true, detail: `head ${await headBlock()}` };
        },
      },
      lagCheck("indexer_lag", "blocks", observability.readyIndexerLagBlocksMax, async () => readIndexerLagBlocks(database.db, chainId, await headBlock())),
    ],
  });
  logger.info({ url: server.url }, "health port listening");
  return { server, database };
}
