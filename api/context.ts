// The one object that carries shared services from an entry point down: configuration,
// the database, the logger, the job queues and the chain. Entry points build it
// (api/main.ts, api/jobs/main.ts, scripts/start.ts, tests); nothing else creates clients.
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { Database } from "../core/store/database.ts";
import type { ReplicaReads } from "../core/store/replicaReads.ts";
import type { Queues } from "./jobs/queues.ts";
import type { ChainContext } from "./chain/chainContext.ts";
import type { MasterKeyRing } from "./keys/masterKeys.ts";
import type { OrderEvents } from "./services/orders/orderEvents.ts";
import type { JournalBatcher } from "./ledger/batcher.ts";
import type { ExactPaymentBatcher } from "./services/orders/acceptPayment.ts";
import type { CheckoutBatcher } from "./services/orders/createOrder.ts";
import type { PlatformMetrics } from "./observability/platformMetrics.ts";
import type { ProcessState } from "../core/observability/readiness.ts";

export type AppContext = {
  config: Config;
  database: Database;
  /** Set when DATABASE_REPLICA_URL is: read-only routes read through it (core/store/replicaReads.ts, readDatabase). */
  replicaReads?: ReplicaReads;
  logger: Logger;
  queues: Queues;
  /** Undefined when no chain is configured: anchoring and issuance wait, sales of anchored keys go on. */
  chain: ChainContext | undefined;
  keyRing: MasterKeyRing;
  /** Order state changes over Redis pub/sub (order pages wait on them). */
  orderEvents: OrderEvents;
  /** The ledger's group commit, for entries posted after their cause committed. */
  journal: JournalBatcher;
  /** The group commits of the sale (core/store/groupCommit.ts): checkouts in flight share a statement, */
  checkouts: CheckoutBatcher;
  /** and so do exact payments (EPay notifications). */
  exactPayments: ExactPaymentBatcher;
  /** The process's metrics (its own Prometheus registry) and its readiness state (draining once shutdown starts). */
  observability: { metrics: PlatformMetrics; state: ProcessState };
};
