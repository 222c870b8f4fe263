// Every part of the platform twice over, on one machine (`npm run cluster`; docs/deployment.md,
// "One machine, every part twice"): a PostgreSQL primary and a streaming-replication hot
// standby, Redis with a replica and three sentinels, two API processes behind a load balancer,
// two worker processes, an indexer and a standby indexer, and one local Hardhat chain. The
// processes are children of this one, restarted a second after an exit nobody asked for (as a
// supervisor would, scripts/drill/drillPlatform.ts), and reach:
// - PostgreSQL through the primary proxy (scripts/cluster/primaryProxy.ts), which follows a
//   promotion; the APIs read the standby directly for their read-only routes (DATABASE_REPLICA_URL);
// - Redis through its sentinels (REDIS_SENTINELS), so a promotion of the replica is followed;
// - the chain directly.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { indexerLockNamespace } from "../../indexer/store/acquireWriterLock.ts";
import { openDatabase, queryOne, sql, type Database } from "../../core/store/database.ts";
import { adminQuery, drillSettings, supervise, waitUntilServing, type PartName, type SupervisedPart } from "../drill/drillPlatform.ts";
import { loadOrCreateDevSecrets } from "../lib/devSecrets.ts";
import { loadLimitsLifted } from "../lib/loadLimitsLifted.ts";
import { freePort, localChainAccounts, startLocalChain, type LocalChain } from "../lib/localChain.ts";
import { deployLocal } from "../lib/platform.ts";
import { startLoadBalancer, type LoadBalancer } from "./loadBalancer.ts";
import { startPrimaryProxy, type PrimaryProxy } from "./primaryProxy.ts";
import { startReplicatedPostgres, type ReplicatedPostgres } from "./replicatedPostgres.ts";
import { startSentinelRedis, type SentinelRedis } from "./sentinelRedis.ts";

export type ClusterOptions = {
  /** Extra variables for every process (they win over the cluster's). */
  env?: Record<string, string>;
  /** The load balancer's port (0: any free one). */
  port?: number;
  /** Where the processes' logs go (one file each); a temporary directory (removed at stop) when unset. */
  logDir?: string;
  /** Settings that make faults visible within a test's minutes (scripts/drill/drillPlatform.ts drillSettings); off for `npm run cluster`. */
  drillSettings?: boolean;
};

export type Cluster = {
  /** The load balancer: the platform's one public address. */
  url: string;
  env: Record<string, string>;
  sandboxSecret: string;
  rpcUrl: string;
  deploymentBlock: bigint;
  contractAddresses: string[];
  /** A pool of the cluster's own through the primary proxy, for checks. */
  database: Database;
  apis: SupervisedPart[];
  workers: SupervisedPart[];
  /** indexers[active()] holds the writer lock (the other waits as standby). */
  indexers: SupervisedPart[];
  activeIndexer(): number;
  /** Records that the standby took over (after the active one was killed). */
  indexerTakenOver(): void;
  postgres: ReplicatedPostgres;
  primaryProxy: PrimaryProxy;
  redis: SentinelRedis;
  balancer: LoadBalancer;
  unplannedExits: Record<PartName, number>;
  logDir: string;
  /** Holders of the indexer's advisory lock now (1 while an indexer writes). */
  indexerLockHolders(): Promise<number>;
  stop(): Promise<void>;
};

const apiCount = 2;
const workerCount = 2;

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    stops.length = 0;
  };
  try {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-cluster-"));
    stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const logDir = options.logDir ?? dataDir;
    const secrets = loadOrCreateDevSecrets(dataDir);

    const postgres = await startReplicatedPostgres();
    stops.push(() => postgres.stop());
    const primaryProxy = await startPrimaryProxy({ backends: [postgres.primary.port, postgres.standby.port] });
    stops.push(() => primaryProxy.close());
    const databaseName = `kl_cluster_${randomBytes(4).toString("hex")}`;
    await adminQuery(primaryProxy.url(), `CREATE DATABASE ${databaseName}`);
    const databaseUrl = primaryProxy.url(databaseName);
    const replicaUrl = `postgres://postgres@127.0.0.1:${postgres.standby.port}/${databaseName}`;

    const redis = await startSentinelRedis();
    stops.push(() => redis.stop());

    const chain: LocalChain = await startLocalChain({ intervalMiningMs: 1_000 });
    stops.push(() => chain.stop());
    const deployed = await deployLocal(chain.rpcUrl);

    const balancerPort = options.port === undefined || options.port === 0 ? await freePort() : await freePort(options.port);
    const publicUrl = `http://127.0.0.1:${balancerPort}`;
    const env: Record<string, string> = {
      ...(options.drillSettings ? { ...loadLimitsLifted, ...drillSettings } : { LEDGER_MERCHANT_FEE_CREDIT_MINOR: "1000000000" }),
      // The standby indexer polls for the writer lock twice a second (1 s by default): its takeover time.
      INDEXER_STANDBY_POLL_MS: "500",
      INDEXER_FINALITY_DEPTH: "3",
      INDEXER_POLL_INTERVAL_MS: "500",
      MASTER_KEY: secrets.MASTER_KEY,
      QUERY_PASSWORD_PEPPER: secrets.QUERY_PASSWORD_PEPPER,
      EPAY_SANDBOX_SECRET: secrets.EPAY_SANDBOX_SECRET,
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      REDIS_SENTINELS: redis.sentinels,
      REDIS_SENTINEL_NAME: redis.name,
      QUEUE_PREFIX: "klcluster",
      HOST: "127.0.0.1",
      PUBLIC_URL: publicUrl,
      CHAIN_RPC_URL: chain.rpcUrl,
      PUBLIC_RPC_URL: chain.rpcUrl,
      CHAIN_OPERATOR_KEY: localChainAccounts.deployer,
      ...deployed,
      ...options.env,
    };

    const unplannedExits: Record<PartName, number> = { api: 0, workers: 0, indexer: 0 };
    const part = (name: PartName, instance: string, extra: Record<string, string> = {}) => {
      const supervised = supervise(name, { ...env, ...extra }, logDir, () => (unplannedExits[name] += 1), instance);
      stops.push(() => supervised.shutdown());
      return supervised;
    };
    const apiPorts: number[] = [];
    const apis: SupervisedPart[] = [];
    for (let index = 0; index < apiCount; index++) {
      const port = await freePort();
      apiPorts.push(port);
      apis.push(part("api", `api-${index + 1}`, { PORT: String(port), DATABASE_REPLICA_URL: replicaUrl }));
    }
    // The first API migrates before it listens; every other process starts after it, so that two
    // never migrate at once (the others find nothing to do).
    await apis[0]!.start();
    await waitUntilServing(`http://127.0.0.1:${apiPorts[0]}`, 180_000);
    await Promise.all(apis.slice(1).map((api) => api.start()));
    await Promise.all(apiPorts.slice(1).map((port) => waitUntilServing(`http://127.0.0.1:${port}`, 180_000)));
    const balancer = await startLoadBalancer({ backends: apiPorts.map((port) => `http://127.0.0.1:${port}`), port: balancerPort });
    stops.push(() => balancer.close());

    const workers = Array.from({ length: workerCount }, (_, index) => part("workers", `workers-${index + 1}`));
    for (const worker of workers) await worker.start();

    const database = await openDatabase({ url: databaseUrl, poolSizeMax: 4, applicationName: "keyledger-cluster" });
    stops.push(() => database.close());
    const indexerLockHolders = async () =>
      Number(
        (await queryOne<{ n: bigint }>(
          database.db,
          sql`SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
              WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()
                AND l.objsubid = 2 AND l.classid = ${indexerLockNamespace}`,
        ))!.n,
      );
    // The first indexer takes the writer lock before the second starts, so which one is active is known.
    const indexers = [part("indexer", "indexer-1"), part("indexer", "indexer-2")];
    await indexers[0]!.start();
    const deadline = Date.now() + 120_000;
    while ((await indexerLockHolders()) < 1) {
      if (Date.now() > deadline) throw new Error("the first indexer did not take its writer lock within 2 minutes");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await indexers[1]!.start();
    let active = 0;

    return {
      url: balancer.url,
      env,
      sandboxSecret: secrets.EPAY_SANDBOX_SECRET,
      rpcUrl: chain.rpcUrl,
      deploymentBlock: BigInt(deployed.DEPLOYMENT_BLOCK!),
      contractAddresses: [deployed.REGISTRY_ADDRESS!, deployed.ENTITLEMENT_ADDRESS!, deployed.PAYMENT_ADDRESS!, deployed.LEDGER_ANCHOR_ADDRESS!],
      database,
      apis,
      workers,
      indexers,
      activeIndexer: () => active,
      indexerTakenOver: () => {
        active = 1 - active;
      },
      postgres,
      primaryProxy,
      redis,
      balancer,
      unplannedExits,
      logDir,
      indexerLockHolders,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
