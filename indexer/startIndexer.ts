// Everything an indexer process does between loading its configuration and exiting: open the
// database, migrate, wait for the writer lock (standby), then sync until the signal aborts.
// indexer/main.ts calls it with the platform contracts' ABIs from the compiled artifacts.
import type { Logger } from "pino";
import { requireSetting, type Config } from "../core/config.ts";
import type { Database } from "../core/store/database.ts";
import { migrate } from "../core/store/migrate.ts";
import type { IndexerContext } from "./context.ts";
import { createEventDecoder, type ContractSource } from "./handlers/sources.ts";
import { createHttpRpcClient } from "./rpc/createHttpRpcClient.ts";
import { getChainId } from "./rpc/readChain.ts";
import { withRetry } from "./rpc/withRetry.ts";
import { runIndexer } from "./runIndexer.ts";
import { acquireWriterLock } from "./store/acquireWriterLock.ts";
import { openIndexerDatabase, type IndexerDatabase } from "./store/openIndexerDatabase.ts";

export type StartIndexerParameters = {
  config: Config;
  logger: Logger;
  sources: ContractSource[];
  signal: AbortSignal;
  /** Runs after each commit outside the transaction (the payments outbox). */
  afterCommit?: (context: IndexerContext) => Promise<void>;
  /** An already open, migrated database to share (the in-process platform's PGlite, which one
   * process cannot open twice); it is left open. Without it the indexer opens its own. */
  database?: IndexerDatabase;
};

export async function startIndexer({ config, logger, sources, signal, afterCommit, database: shared }: StartIndexerParameters): Promise<void> {
  const rpcUrl = requireSetting(config.chain.rpcUrl, "CHAIN_RPC_URL", "The indexer needs the chain's JSON-RPC URL.");
  const options = { ...config.indexer, deploymentBlock: config.chain.deploymentBlock };
  const rpc = withRetry(createHttpRpcClient({ url: rpcUrl, timeoutMs: options.rpcTimeoutMs, responseBytesMax: options.responseBytesMax }), {
    retriesMax: options.rpcRetriesMax,
    backoffMs: options.rpcBackoffMs,
    backoffMsMax: options.rpcBackoffMsMax,
    signal,
    onRetry: ({ method, attempt, delayMs, error }) =>
      logger.warn({ method, attempt, delayMs, error: error instanceof Error ? error.message : String(error) }, "RPC call failed; retrying"),
  });
  const databaseUrl = "url" in config.database ? config.database.url : undefined;
  // Starting the database and reading the chain id overlap: both are round trips.
  const [database, chainId] = await Promise.all([
    shared ?? openIndexerDatabase(databaseUrl ? { url: databaseUrl, poolSizeMax: 2 } : { dataDir: `${config.dataDir}/pglite` }),
    getChainId(rpc),
  ]);
  try {
    // migrate() reads only the pool or the PGlite instance, never the ORM handle.
    if (!shared) await migrate(database as Database);
    if (options.chainId !== undefined && options.chainId !== chainId) {
      throw new Error(`The RPC serves chain ${chainId}, but INDEXER_CHAIN_ID is ${options.chainId}: refusing to index the wrong chain.`);
    }
    const session = await acquireWriterLock(database, {
      chainId,
      standbyPollMs: options.standbyPollMs,
      signal,
      onStandby: () => logger.info({ chainId }, "another indexer holds the writer lock for this chain; waiting as a standby"),
      onLost: (error) => logger.error({ error: error.message }, "lost the writer connection (and with it the lock); stopping"),
    });
    if (!session) return;
    logger.info({ chainId, rpc: rpc.label }, "writer lock taken; indexing");
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener("abort", stop, { once: true });
    session.lostSignal.addEventListener("abort", stop, { once: true });
    try {
      const context: IndexerContext = {
        chainId,
        options,
        rpc,
        session,
        decoder: createEventDecoder(sources),
        platform: {
          chainId,
          custodianAddress: config.chain.custodianAddress?.toLowerCase(),
          registryAddress: sources.find((source) => source.role === "registry")?.address.toLowerCase(),
        },
        logger,
        signal: controller.signal,
        afterCommit: afterCommit ? () => afterCommit(context) : undefined,
      };
      await runIndexer(context);
      if (session.lostSignal.aborted) throw new Error("The writer connection was lost; the indexer stopped so that a standby can take over.");
    } finally {
      await session.close();
    }
  } finally {
    if (!shared) await database.close();
  }
}
