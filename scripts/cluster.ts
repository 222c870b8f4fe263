// `npm run cluster`: every part of the platform twice over on this machine (scripts/cluster/
// cluster.ts; docs/deployment.md, "One machine, every part twice"): PostgreSQL primary and hot
// standby, Redis with a replica and three sentinels, two APIs behind a load balancer, two
// workers, an indexer and a standby indexer, a local chain. Prints where each part is; Ctrl+C
// stops them all and removes their data. CLUSTER_PORT (8080) for the load balancer's port,
// CLUSTER_LOG_DIR to keep the processes' logs there.
import { startCluster } from "./cluster/cluster.ts";

const cluster = await startCluster({ port: Number(process.env.CLUSTER_PORT ?? 8080), logDir: process.env.CLUSTER_LOG_DIR });
const primaryPort = await cluster.redis.currentPrimaryPort();
process.stdout.write(`
Keyledger cluster is running.
  Shop (web, API):   ${cluster.url}/   (load balancer over ${cluster.apis.length} API processes)
  PostgreSQL:        primary :${cluster.postgres.primary.port}, hot standby :${cluster.postgres.standby.port}, the processes' address ${cluster.primaryProxy.url()}
  Redis:             primary :${primaryPort}, replica :${cluster.redis.replica.port}, sentinels ${cluster.redis.sentinels} (name ${cluster.redis.name})
  Workers:           ${cluster.workers.map((worker) => `pid ${worker.pid()}`).join(", ")}
  Indexers:          active pid ${cluster.indexers[0]!.pid()}, standby pid ${cluster.indexers[1]!.pid()}
  Chain RPC:         ${cluster.rpcUrl}
  Logs:              ${cluster.logDir}

Create the first admin with \`DATABASE_URL=${cluster.env.DATABASE_URL} npm run keyledger -- admin create ...\` (docs/deployment.md).
Press Ctrl+C to stop.
`);
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("\nStopping the cluster...\n");
    void cluster.stop().then(() => process.stdout.write("Keyledger cluster stopped.\n", () => process.exit(0)));
  });
}
