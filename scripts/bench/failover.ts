// npm run bench:failover: the cluster's failover drills (scripts/cluster/clusterDrills.ts) on a
// fresh cluster (scripts/cluster/cluster.ts), each under a guest sale load through the load
// balancer, and what they cost:
//   api_failover_errors   requests the buyers and the gateway saw fail (no answer or a 5xx) while
//                         one API process was killed; all of the load's requests are idempotent
//                         (GETs, checkouts with an Idempotency-Key), so the balancer retries them
//   indexer_takeover_s    from kill -9 of the active indexer until the standby holds the writer
//                         lock and has indexed a block mined after the kill
//   redis_failover_s      from kill -9 of the Redis primary until the sentinels name the replica
//   postgres_failover_s   from the primary's stop until the proxy sends connections to the promoted standby
//   orders_lost           over every drill: orders paid (or acknowledged to the gateway) but not
//                         fulfilled with exactly one key, plus duplicates
// with one drill line each (docs/drills.md), the orders a second and the machine's CPU per order
// (all processes: /proc/stat, so an upper bound). BUYERS (6) sets the load.
import { readFileSync } from "node:fs";
import { setupSaleProduct } from "./sale/saleSetup.ts";
import { startCluster } from "../cluster/cluster.ts";
import { clusterDrillFields, clusterDrillNames, runClusterDrill, type ClusterDrillResult } from "../cluster/clusterDrills.ts";
import { formatDrillLine } from "../drill/drills.ts";

const machineCpuMs = () => {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait, in clock ticks (100 a second).
  const busy = fields.reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  return busy * 10;
};

const cluster = await startCluster({ drillSettings: true });
const results: ClusterDrillResult[] = [];
let exitCode = 0;
try {
  const product = await setupSaleProduct({ url: cluster.url, sandboxSecret: cluster.sandboxSecret, keys: 6_000, keysPerImport: 3_000, name: "failover" });
  const codesSeen = new Map<string, string>();
  const options = { buyers: Number(process.env.BUYERS ?? 6), thinkMs: 200, warmupMs: 8_000, afterRepairMs: 10_000, downMs: 5_000 };
  const started = performance.now();
  const cpuBefore = machineCpuMs();
  for (const name of clusterDrillNames) {
    const result = await runClusterDrill(cluster, product, name, options, codesSeen);
    results.push(result);
    process.stdout.write(`${formatDrillLine(result)} ${clusterDrillFields(result)}\n`);
    for (const problem of result.problems) process.stderr.write(`${name}: ${problem}\n`);
    if (result.problems.length > 0) exitCode = 1;
  }
  const cpuMs = machineCpuMs() - cpuBefore;
  const seconds = (performance.now() - started) / 1000;
  const of = (name: string) => results.find((result) => result.name === name)!;
  const ordersPaid = results.reduce((sum, result) => sum + result.figures.ordersPaid, 0);
  const ordersLost = results.reduce(
    (sum, result) => sum + (result.figures.ordersPaid - result.figures.ordersFulfilled) + result.figures.acknowledgedNotRecorded + result.figures.duplicates,
    0,
  );
  const lines: [string, string | number][] = [
    ["orders_paid", ordersPaid],
    ["orders_per_s", (ordersPaid / seconds).toFixed(1)],
    ["machine_cpu_ms_per_order", (cpuMs / Math.max(1, ordersPaid)).toFixed(1)],
    ["api_failover_balancer_502", of("api-kill").balancerErrors],
    ["api_failover_errors", of("api-kill").requestsFailed],
    ["indexer_takeover_s", of("indexer-failover").takeoverSeconds!.toFixed(2)],
    ["redis_failover_s", of("redis-failover").takeoverSeconds!.toFixed(2)],
    ["postgres_failover_s", of("postgres-promote").takeoverSeconds!.toFixed(2)],
    ["orders_lost", ordersLost],
  ];
  for (const [name, value] of lines) process.stdout.write(`${name}=${value}\n`);
} finally {
  await cluster.stop();
}
process.exit(exitCode);
