// Builds the AppContext an entry point needs from the resolved configuration: the database
// (migrated), the queues, the chain and the master key ring. Secrets are checked here, at
// start, so a missing one stops the process before it serves anything.
import type { Config } from "../core/config.ts";
import { requireSetting } from "../core/config.ts";
import type { AppContext } from "./context.ts";
import { createChainContext, type ChainContext } from "./chain/chainContext.ts";
import { createQueues, redisTargetOf, reportQueueErrors } from "./jobs/queues.ts";
import { createOrderEvents } from "./services/orders/orderEvents.ts";
import { createJournalBatcher } from "./ledger/batcher.ts";
import { createExactPaymentBatcher } from "./services/orders/acceptPayment.ts";
import { createCheckoutBatcher } from "./services/orders/createOrder.ts";
import { loadMasterKeyRing } from "./keys/masterKeys.ts";
import type { Logger } from "../core/logger.ts";
import { openDatabase } from "../core/store/database.ts";
import { createReplicaReads } from "../core/store/replicaReads.ts";
import { loggedGroupCommit } from "../core/store/groupCommit.ts";
import { migrate } from "../core/store/migrate.ts";
import { createMetricsRegistry } from "../core/observability/metricsRegistry.ts";
import { createProcessState } from "../core/observability/readiness.ts";
import { createPlatformMetrics, registerPlatformStateGauges } from "./observability/platformMetrics.ts";

export async function bootstrapContext(
  config: Config,
  logger: Logger,
  options: { migrate: boolean; applicationName: string; part?: string },
): Promise<AppContext> {
  const keyRing = loadMasterKeyRing(config.secrets);
  requireSetting(config.secrets.queryPasswordPepper, "QUERY_PASSWORD_PEPPER", "Set it to a long random string (e.g. `openssl rand -hex 32`).");
  const redisTarget = redisTargetOf(config.redis);
  const database = await openDatabase("url" in config.database ? { ...config.database, applicationName: options.applicationName } : config.database);
  if (options.migrate) await migrate(database);
  // A replica only for the API: the workers and the indexer write, and read what they write.
  const replicaReads =
    config.databaseReplica && database.kind === "pg" && options.part !== "workers"
      ? createReplicaReads(
          database,
          await openDatabase({
            url: config.databaseReplica.url,
            poolSizeMax: config.database.poolSizeMax,
            applicationName: `${options.applicationName}-replica`,
          }),
          { waitMs: config.databaseReplica.waitMs },
        )
      : undefined;
  const queues = createQueues(redisTarget, config.redis.prefix);
  reportQueueErrors(queues, logger);
  const orderEvents = await createOrderEvents(queues.connection, config.redis.prefix);
  const chain = await connectChain(config, logger);
  const journal = createJournalBatcher(database.db, {
    batchSizeMax: config.ledger.batchSizeMax,
    flushesInFlightMax: config.ledger.flushesInFlightMax,
    batchWaitMs: config.ledger.batchWaitMs,
    queueLengthMax: config.ledger.queueLengthMax,
  });
  const checkouts = createCheckoutBatcher(database.db, loggedGroupCommit(logger, "checkouts"));
  const exactPayments = createExactPaymentBatcher(database.db, loggedGroupCommit(logger, "exact-payments"));
  const metrics = createPlatformMetrics(createMetricsRegistry(options.part ?? options.applicationName));
  registerPlatformStateGauges(metrics.registry, {
    db: database.db,
    queues: { fulfilment: queues.fulfilment, imports: queues.imports, chain: queues.chain, maintenance: queues.maintenance },
    chain,
    onError: (error, metric) => logger.debug({ metric, err: error }, "a metric could not be read for this scrape"),
  });
  const observability = { metrics, state: createProcessState() };
  return { config, database, replicaReads, logger, queues, chain, keyRing, orderEvents, journal, checkouts, exactPayments, observability };
}

async function connectChain(config: Config, logger: Logger): Promise<ChainContext | undefined> {
  const { rpcUrl, registryAddress, entitlementAddress } = config.chain;
  if (!rpcUrl || !registryAddress || !entitlementAddress) {
    logger.warn("no chain configured (CHAIN_RPC_URL, REGISTRY_ADDRESS, ENTITLEMENT_ADDRESS): batches wait unanchored");
    return undefined;
  }
  return createChainContext({
    rpcUrl,
    addresses: {
      registry: registryAddress,
      entitlement: entitlementAddress,
      payment: config.chain.paymentAddress,
      stablecoin: config.chain.stablecoinAddress,
      ledgerAnchor: config.chain.ledgerAnchorAddress,
    },
    operatorKey: config.chain.operatorKey,
    custodian: config.chain.custodianAddress,
    deploymentBlock: config.chain.deploymentBlock,
  });
}

export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.journal.drain();
  await ctx.orderEvents.close();
  await ctx.queues.close();
  await ctx.replicaReads?.close();
  await ctx.database.close();
}
