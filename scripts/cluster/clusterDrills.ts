// The failover drills of the cluster (docs/drills.md, "Failover drills on the cluster"): under a
// sale load through the load balancer, one part is lost and the cluster's own redundancy takes
// over, with no operator restarting anything on the sale's path:
// - api-kill: kill -9 of one API process; the balancer sends its requests to the other.
// - worker-kill: kill -9 of one worker process; the other takes its jobs once their locks lapse.
// - indexer-failover: kill -9 of the active indexer; the standby takes the writer lock.
// - redis-failover: kill -9 of the Redis primary; the sentinels promote the replica and every
//   client follows (REDIS_SENTINELS).
// - postgres-promote: the PostgreSQL primary is stopped and the standby promoted; the primary
//   proxy sends new connections to it, the pools reconnect.
// The killed API, worker or indexer is started again afterwards (a supervisor would), as a
// spare; the lost Redis and PostgreSQL primaries are not (docs/drills.md says how to rejoin them).
// Each drill then checks what every fault drill checks (scripts/drill/drillChecks.ts).
import type { SaleProduct } from "../bench/sale/saleSetup.ts";
import { runFaultUnderLoad, type DrillOptions, type DrillResult, type Injection } from "../drill/drills.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import type { Cluster } from "./cluster.ts";

export const clusterDrillNames = ["api-kill", "worker-kill", "indexer-failover", "redis-failover", "postgres-promote"] as const;
export type ClusterDrillName = (typeof clusterDrillNames)[number];

export type ClusterDrillOptions = Pick<DrillOptions, "buyers" | "thinkMs" | "warmupMs" | "afterRepairMs"> & {
  /** How long the killed API or worker stays down before it is started again (as a spare). */
  downMs: number;
};

export type ClusterDrillResult = DrillResult & {
  /** Seconds until the spare took over: indexer_takeover_s, redis_failover_s, postgres_failover_s. */
  takeoverSeconds?: number;
  /** api-kill: requests the load balancer answered 502 (no API process answered) during the drill. */
  balancerErrors: number;
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await condition().catch(() => false)) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await pause(50);
  }
}

async function chainHead(rpcUrl: string): Promise<bigint> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
  });
  return BigInt(((await response.json()) as { result: string }).result);
}

type Injected = Injection & { takeoverSeconds?: number };

const injections: Record<ClusterDrillName, (cluster: Cluster, options: ClusterDrillOptions) => Promise<Injected>> = {
  async "api-kill"(cluster, options) {
    await cluster.apis[0]!.stop("SIGKILL");
    await pause(options.downMs);
    const repairAt = Date.now();
    await cluster.apis[0]!.start();
    return { repairAt, problems: [] };
  },
  async "worker-kill"(cluster, options) {
    await cluster.workers[0]!.stop("SIGKILL");
    await pause(options.downMs);
    const repairAt = Date.now();
    await cluster.workers[0]!.start();
    return { repairAt, problems: [] };
  },
  async "indexer-failover"(cluster) {
    const active = cluster.indexers[cluster.activeIndexer()]!;
    const headAtKill = await chainHead(cluster.rpcUrl);
    await active.stop("SIGKILL");
    // Taken over: the standby holds the writer lock and has indexed a block mined after the kill.
    const takeoverSeconds = await waitFor(
      "the standby indexer taking over",
      async () => {
        if ((await cluster.indexerLockHolders()) !== 1) return false;
        const checkpoint = await queryOne<{ block_number: bigint }>(
          cluster.database.db,
          sql`SELECT max(block_number) AS block_number FROM indexer_checkpoints`,
        );
        return checkpoint?.block_number !== undefined && checkpoint.block_number !== null && BigInt(checkpoint.block_number) > headAtKill;
      },
      60_000,
    );
    cluster.indexerTakenOver();
    const repairAt = Date.now();
    // The killed one comes back as the new standby.
    await active.start();
    return { repairAt, takeoverSeconds, problems: [] };
  },
  async "redis-failover"(cluster) {
    const replicaPort = cluster.redis.replica.port;
    await cluster.redis.primary.kill();
    const takeoverSeconds = await waitFor(
      "Sentinel promoting the Redis replica",
      async () => (await cluster.redis.currentPrimaryPort()) === replicaPort,
      60_000,
    );
    return { repairAt: Date.now(), takeoverSeconds, problems: [] };
  },
  async "postgres-promote"(cluster) {
    const started = performance.now();
    // A clean stop sends every WAL record to the standby before the primary exits, so the
    // promoted standby has every commit (a crash with asynchronous replication may lose the last).
    await cluster.postgres.primary.stop();
    await cluster.postgres.promoteStandby();
    await cluster.primaryProxy.waitForPrimary(cluster.postgres.standby.port, 30_000);
    return { repairAt: Date.now(), takeoverSeconds: (performance.now() - started) / 1000, problems: [] };
  },
};

export async function runClusterDrill(
  cluster: Cluster,
  product: SaleProduct,
  name: ClusterDrillName,
  options: ClusterDrillOptions,
  codesSeen: Map<string, string>,
): Promise<ClusterDrillResult> {
  const failedBefore = cluster.balancer.stats.failed;
  let takeoverSeconds: number | undefined;
  const result = await runFaultUnderLoad(
    cluster,
    product,
    name,
    async () => {
      const injected = await injections[name](cluster, options);
      takeoverSeconds = injected.takeoverSeconds;
      return injected;
    },
    options,
    codesSeen,
  );
  return { ...result, takeoverSeconds, balancerErrors: cluster.balancer.stats.failed - failedBefore };
}

/** The drill's name=value line: the fault drills' line (formatDrillLine) with the takeover time and the balancer's errors. */
export function clusterDrillFields(result: ClusterDrillResult): string {
  return [
    `drill_balancer_errors=${result.balancerErrors}`,
    ...(result.takeoverSeconds === undefined ? [] : [`drill_takeover_seconds=${result.takeoverSeconds.toFixed(2)}`]),
  ].join(" ");
}
