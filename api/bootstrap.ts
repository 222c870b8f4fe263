// Builds the AppContext an entry point needs from the resolved configuration: the database
// (migrated), the queues, the chain and the master key ring. Secrets are checked here, at
// start, so a missing one stops the process before it serves anything.
import type { Config } from "../core/config.ts";
import { requireSetting } from "../core/config.ts";
import type { AppContext } from "./context.ts";
import { createChainContext, type ChainContext } from "./chain/chainContext.ts";
import { createQueues, reportQueueErrors } from "./jobs/queues.ts";
import { createOrderEvents } from "./services/orders/orderEvents.ts";
import { createJournalBatcher } from "./ledger/batcher.ts";
import { createExactPaymentBatcher } from "./services/orders/acceptPayment.ts";
import { createCheckoutBatcher } from "./services/orders/createOrder.ts";
import { loadMasterKeyRing } from "./keys/masterKeys.ts";
import type { Logger } from "../core/logger.ts";
import { openDatabase } from "../core/store/database.ts";
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
  const redisUrl = requireSetting(config.redis.url, "REDIS_URL", "Point it at Redis, e.g. redis://127.0.0.1:6379.");
  const database = await openDatabase("url" in config.database ? { ...config.database, applicationName: options.applicationName } : config.database);
  if (options.migrate) await migrate(database);
  const queues = createQueues(redisUrl, config.redis.prefix);
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
  return { config, database, logger, queues, chain, keyRing, orderEvents, journal, checkouts, exactPayments, observability };
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
  await ctx.database.close();
}
