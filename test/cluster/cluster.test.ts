// The cluster of `npm run cluster` (scripts/cluster/cluster.ts; docs/deployment.md, "One machine,
// every part twice"): PostgreSQL primary and streaming hot standby, Redis with a replica and three
// sentinels, two APIs behind the load balancer, two workers, an indexer and a standby indexer.
// Self-contained: it starts every part on free ports and removes them all at the end.
//
// Read routing: the public product page reads the standby (DATABASE_REPLICA_URL). The standby
// is made to lag on purpose (recovery_min_apply_delay), and the test shows the lag is real (the
// standby read directly still has the old name right after each change), yet a merchant who
// changes a product and reads it at once through the load balancer (the read goes to either
// API process) always sees the new name; and reads once the standby caught up are served by it.
import { expect } from "chai";
import pg from "pg";
import { call, nodeHttpSend, setupSaleProduct, type SaleProduct } from "../../scripts/bench/sale/saleSetup.ts";
import { startCluster, type Cluster } from "../../scripts/cluster/cluster.ts";
import { clusterDrillFields, runClusterDrill, type ClusterDrillName, type ClusterDrillOptions } from "../../scripts/cluster/clusterDrills.ts";
import { formatDrillLine } from "../../scripts/drill/drills.ts";

const drillOptions: ClusterDrillOptions = { buyers: 4, thinkMs: 200, warmupMs: 4_000, afterRepairMs: 6_000, downMs: 3_000 };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function standbyQuery<Row extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe("the cluster: every part twice on one machine", function () {
  this.timeout(600_000);
  let cluster: Cluster;
  let product: SaleProduct;

  before(async () => {
    cluster = await startCluster({ drillSettings: true });
    product = await setupSaleProduct({ url: cluster.url, sandboxSecret: cluster.sandboxSecret, keys: 3_000, keysPerImport: 3_000, name: "cluster" });
  });
  after(async () => {
    await cluster?.stop();
  });

  it("reads its own writes through either API while the standby lags, and the standby serves reads once it caught up", async () => {
    const databaseName = new URL(cluster.env.DATABASE_URL!).pathname.slice(1);
    const standbyAdmin = cluster.postgres.standby.url;
    const standbyDatabase = standbyAdmin.replace(/\/postgres$/, `/${databaseName}`);
    const productReadsOnStandby = async () =>
      Number(
        (
          await standbyQuery<{ reads: string }>(
            standbyDatabase,
            "SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)::text AS reads FROM pg_stat_user_tables WHERE relname = 'products'",
          )
        )[0]!.reads,
      );
    await standbyQuery(standbyAdmin, "ALTER SYSTEM SET recovery_min_apply_delay = '1s'");
    await standbyQuery(standbyAdmin, "SELECT pg_reload_conf()");
    try {
      const send = nodeHttpSend(cluster.url);
      const auth = { authorization: `Bearer ${product.token}` };
      const readsBefore = await productReadsOnStandby();
      let staleOnStandby = 0;
      const rounds = 12;
      for (let round = 0; round < rounds; round++) {
        const name = `Routing check ${round}`;
        const changed = await call(send, "PATCH", `/api/products/${product.productId}`, { name }, auth);
        expect(changed.status, changed.text).to.equal(200);
        // The same caller at once, twice (the balancer sends them to the two API processes).
        for (const read of [0, 1]) {
          const seen = await call(send, "GET", `/api/products/${product.productId}`, undefined, read === 0 ? auth : {});
          expect(seen.status, seen.text).to.equal(200);
          expect(seen.body.name, `round ${round}, read ${read}`).to.equal(name);
        }
        const direct = await standbyQuery<{ name: string }>(standbyDatabase, "SELECT name FROM products WHERE id = $1", [product.productId]);
        if (direct[0]?.name !== name) staleOnStandby += 1;
        // Once the standby has applied the change, reads may go to it.
        await pause(1_500);
        const later = await call(send, "GET", `/api/products/${product.productId}`);
        expect(later.body.name).to.equal(name);
      }
      // The lag is real: without the routing's check most reads right after a change were stale.
      expect(staleOnStandby, "changes the standby had not applied when read directly").to.be.greaterThan(rounds / 2);
      // The standby served reads (its statistics reach the view within PostgreSQL's 10 s idle flush).
      let readsAfter = readsBefore;
      for (let wait = 0; wait < 30 && readsAfter - readsBefore < rounds / 2; wait++) {
        await pause(500);
        readsAfter = await productReadsOnStandby();
      }
      console.log(`      read_routing_rounds=${rounds} stale_on_standby_direct=${staleOnStandby} product_reads_on_standby=${readsAfter - readsBefore}`);
      expect(readsAfter - readsBefore, "product reads served by the standby").to.be.at.least(rounds / 2);
    } finally {
      await standbyQuery(standbyAdmin, "ALTER SYSTEM RESET recovery_min_apply_delay");
      await standbyQuery(standbyAdmin, "SELECT pg_reload_conf()");
    }
  });

  // Failover drills (docs/drills.md, "Failover drills on the cluster"), in this order: the
  // Redis and PostgreSQL primaries they lose are not brought back.
  const codesSeen = new Map<string, string>();
  const drill = (name: ClusterDrillName, what: string) =>
    it(what, async () => {
      const result = await runClusterDrill(cluster, product, name, drillOptions, codesSeen);
      console.log(`      ${formatDrillLine(result)} ${clusterDrillFields(result)}`);
      console.log(
        `      orders_paid=${result.figures.ordersPaid} orders_fulfilled=${result.figures.ordersFulfilled} duplicates=${result.figures.duplicates} unbalanced=${result.figures.unbalanced} indexer_divergence=${result.figures.indexerMismatches + result.figures.reconcileFindings}`,
      );
      expect(result.problems).to.deep.equal([]);
      expect(result.figures.ordersPaid).to.be.greaterThan(0);
      expect(result.figures.ordersFulfilled).to.equal(result.figures.ordersPaid);
      expect(result.figures.duplicates).to.equal(0);
      expect(result.figures.unbalanced).to.equal(0);
      expect(result.figures.indexerMismatches + result.figures.reconcileFindings).to.equal(0);
    });
  drill("api-kill", "kill -9 of one API process: the balancer sends its requests to the other");
  drill("worker-kill", "kill -9 of one worker process: the other takes its jobs");
  drill("indexer-failover", "kill -9 of the active indexer: the standby takes the writer lock and indexes on");
  drill("redis-failover", "kill -9 of the Redis primary: Sentinel promotes the replica, BullMQ and every client follow");
  drill("postgres-promote", "PostgreSQL primary stopped, standby promoted: the processes reach the new primary through the proxy");
});
