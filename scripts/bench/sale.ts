// `npm run bench:sale`: the whole sale path under load on this machine, against the real
// PostgreSQL server and Redis. 32 buyers (BENCH_BUYERS) for 20 s (BENCH_SECONDS, each mix) each loop:
// check out through the API, pay with a signed sandbox EPay notification, poll the order
// until the key is delivered (each poll is a long poll, `waitSeconds`, as the order page does:
// the server answers when the order changes). The API and the workers run in separate processes, as in
// production. Prints orders_per_s, checkout_to_delivery_p50_ms / _p99_ms and
// duplicate_deliveries (codes delivered to more than one order), last; before them, the CPU
// each group of processes spent per order during the load (cpu_ms_per_order_*, from /proc).
// Then, in the same process against the same platform, the growth mix (issue 16, set up in
// sale/growthSetup.ts): signed-in buyers with a coupon and a wholesale tier price, two orders in
// three through an agent's sub-store (markup, three commission levels), one in three of a
// reseller's docked listing; the same lines with the suffix `_growth`, what its delivered orders
// carried (`growth_*`), and `growth_vs_plain_ratio` (growth orders/s over plain orders/s).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { notifyPath, signedNotification } from "../../test/support/epayNotify.ts";
import { deleteRedisKeys } from "../lib/deleteRedisKeys.ts";
import { stopChild } from "../lib/stopChild.ts";
import { startCpuReading } from "./sale/cpuByProcess.ts";
import { KeepAliveConnection } from "./sale/keepAliveConnection.ts";
import { call, setupSaleProduct, type Send } from "./sale/saleSetup.ts";
import { growthShape, setupGrowth } from "./sale/growthSetup.ts";
import { acceptFinalChainPayments, type FinalChainPayment } from "../../api/services/orders/processChainPayments.ts";
import { createGroupCommit } from "../../core/store/groupCommit.ts";
import { enqueuePaidOrder } from "../../api/jobs/groupFulfilment.ts";
import { createQueues } from "../../api/jobs/queues.ts";
import { openDatabase } from "../../core/store/database.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const settings = {
  pgAdminUrl: process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  buyers: Number(process.env.BENCH_BUYERS ?? 32),
  seconds: Number(process.env.BENCH_SECONDS ?? 20),
  // Enough keys for the fastest run we expect (about 600 orders/s) plus margin.
  keys: Number(process.env.BENCH_KEYS ?? 20_000),
  onlyGrowth: process.env.BENCH_MIX === "growth",
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type Order = { id: string; shopId: string; amountMinor: string };
type Checkout = { status: number; body: Record<string, unknown> };

type MixParameters = {
  url: string;
  /** One buyer's checkout (status 201 and body.order, body.accessToken when it succeeded). */
  checkout(send: Send, index: number): Promise<Checkout>;
  /** Pays the order; false when the payment was not accepted. */
  pay(send: Send, index: number, order: Order): Promise<boolean>;
  /** The admin connection, to name PostgreSQL's processes by client. */
  pgPids: pg.Client;
  pids: { api: number; workers: number; indexer: number };
};

type MixResult = {
  cpuPerOrder: Record<string, number>;
  elapsedSeconds: number;
  latencies: number[];
  failures: number;
  stepTimes: Record<string, number[]>;
  byQuarter: number[][];
  duplicates: number;
  ordersPerSecond: number;
};

/**
 * One load of `settings.buyers` buyers for `settings.seconds`: check out, pay, long-poll the
 * order until its key is delivered, again until the deadline.
 */
async function runMix(parameters: MixParameters): Promise<MixResult> {
  const latencies: number[] = [];
  // The same latencies by the quarter of the run their checkout began in: whether the tail
  // is the warm-up (JIT, first tree rebuilds, cold caches) or the steady state.
  const byQuarter: number[][] = [[], [], [], []];
  let loadStart = 0;
  const stepTimes = { checkout: [] as number[], notify: [] as number[], polls: [] as number[] };
  const codes: string[] = [];
  let failures = 0;
  const deadline = Date.now() + settings.seconds * 1000;
  const buyer = async (index: number) => {
    const connection = new KeepAliveConnection(parameters.url);
    const send: Send = (method, route, headers, payload) => connection.request(method, route, headers, payload);
    try {
      await buyUntilDeadline(index, send);
    } finally {
      connection.close();
    }
  };
  const buyUntilDeadline = async (index: number, send: Send) => {
    while (Date.now() < deadline) {
      const begin = performance.now();
      const checkout = await parameters.checkout(send, index);
      const afterCheckout = performance.now();
      stepTimes.checkout.push(afterCheckout - begin);
      if (checkout.status !== 201) {
        failures += 1;
        continue;
      }
      const order = checkout.body.order as Order;
      const paid = await parameters.pay(send, index, order);
      const afterNotify = performance.now();
      stepTimes.notify.push(afterNotify - afterCheckout);
      if (!paid) {
        failures += 1;
        continue;
      }
      for (;;) {
        const view = await call(send, "GET", `/api/orders/${order.id}?token=${checkout.body.accessToken}&waitSeconds=5`);
        if (view.body.state === "fulfilled") {
          const delivered = performance.now();
          latencies.push(delivered - begin);
          byQuarter[Math.min(3, Math.floor((4 * (begin - loadStart)) / (settings.seconds * 1000)))]!.push(delivered - begin);
          stepTimes.polls.push(delivered - afterNotify);
          for (const item of view.body.items as { code: string }[]) codes.push(item.code);
          break;
        }
      }
    }
  };
  const cpu = startCpuReading({ ...parameters.pids, loadgen: process.pid });
  loadStart = performance.now();
  await Promise.all(Array.from({ length: settings.buyers }, (_, i) => buyer(i)));
  const elapsedSeconds = (performance.now() - loadStart) / 1000;
  // Where each order's CPU went (ms per order by process group; "chain" is the local node).
  const backends = await parameters.pgPids.query<{ pid: number; label: string }>(
    `SELECT pid, replace(coalesce(nullif(application_name, ''), backend_type), ' ', '_') AS label FROM pg_stat_activity`,
  );
  const postgresLabels = new Map(backends.rows.map((row) => [row.pid, row.label]));
  const cpuPerOrder = cpu.finish(latencies.length, postgresLabels);
  latencies.sort((a, b) => a - b);
  return {
    cpuPerOrder,
    elapsedSeconds,
    latencies,
    failures,
    stepTimes,
    byQuarter,
    duplicates: codes.length - new Set(codes).size,
    ordersPerSecond: latencies.length / elapsedSeconds,
  };
}

/** Prints a mix's lines; the plain mix's names have no suffix (as before the growth mix). */
function printMix(result: MixResult, suffix: string): void {
  for (const [group, ms] of Object.entries(result.cpuPerOrder)) process.stdout.write(`cpu_ms_per_order_${group}${suffix}=${ms.toFixed(2)}\n`);
  process.stdout.write(
    `buyers${suffix}=${settings.buyers}\nseconds${suffix}=${result.elapsedSeconds.toFixed(1)}\norders_delivered${suffix}=${result.latencies.length}\nfailed_attempts${suffix}=${result.failures}\n`,
  );
  for (const [step, values] of Object.entries(result.stepTimes)) {
    values.sort((a, b) => a - b);
    process.stdout.write(
      `step_${step}_p50_ms${suffix}=${percentile(values, 50).toFixed(1)}\nstep_${step}_p99_ms${suffix}=${percentile(values, 99).toFixed(1)}\n`,
    );
  }
  const quarterP99s = result.byQuarter.map((values) =>
    percentile(
      values.sort((a, b) => a - b),
      99,
    ).toFixed(1),
  );
  process.stdout.write(`checkout_to_delivery_p99_ms_by_quarter${suffix}=${quarterP99s.join("/")}\n`);
  process.stdout.write(`orders_per_s${suffix}=${result.ordersPerSecond.toFixed(1)}\n`);
  process.stdout.write(`checkout_to_delivery_p50_ms${suffix}=${percentile(result.latencies, 50).toFixed(1)}\n`);
  process.stdout.write(`checkout_to_delivery_p99_ms${suffix}=${percentile(result.latencies, 99).toFixed(1)}\n`);
  process.stdout.write(`duplicate_deliveries${suffix}=${result.duplicates}\n`);
}

async function main() {
  const databaseName = `kl_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: settings.pgAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${databaseName}`);
  const databaseUrl = new URL(settings.pgAdminUrl);
  databaseUrl.pathname = `/${databaseName}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-bench-"));
  const queuePrefix = `klbench-${randomBytes(3).toString("hex")}`;
  const children: ChildProcess[] = [];
  try {
    // BENCH_PROFILE_DIR: write CPU profiles of the API, worker and indexer processes there.
    const profile = process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
    const server = spawn(process.execPath, [...profile, `${root}scripts/bench/sale/server.ts`], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl.toString(),
        DATABASE_POOL_SIZE_MAX: "16",
        REDIS_URL: settings.redisUrl,
        QUEUE_PREFIX: queuePrefix,
        DATA_DIR: dataDir,
        CHAIN_RPC_URL: "",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(server);
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once("line", resolve);
      server.once("exit", (code) => reject(new Error(`platform exited (${code})`)));
    });
    const { url, env, sandboxSecret } = JSON.parse(first) as { url: string; env: Record<string, string>; sandboxSecret: string };
    const processEnv = { ...process.env, ...env, LOG_LEVEL: "warn" };
    const workers = spawn(process.execPath, [...profile, `${root}api/jobs/main.ts`], { cwd: root, env: processEnv, stdio: ["ignore", "ignore", "inherit"] });
    children.push(workers);
    // BENCH_NO_INDEXER=1 measures the sale path without the indexer process (for attribution).
    const indexer =
      process.env.BENCH_NO_INDEXER === "1"
        ? undefined
        : spawn(process.execPath, [...profile, `${root}indexer/main.ts`], { cwd: root, env: processEnv, stdio: ["ignore", "ignore", "inherit"] });
    if (indexer) children.push(indexer);

    // A merchant, a shop on the sandbox gateway, one product with many anchored keys.
    const started = Date.now();
    const { shopId, productId, merchant } = await setupSaleProduct({ url, sandboxSecret, keys: settings.keys });
    process.stdout.write(`setup: ${settings.keys} keys imported and anchored in ${Date.now() - started} ms\n`);

    // The growth mix's merchants, agent, referrers, buyers and docked listing, set up before
    // either load so neither mix measures the other's imports.
    const growthStarted = Date.now();
    const growth = await setupGrowth({ url, sandboxSecret, keys: settings.keys, buyers: settings.buyers });
    process.stdout.write(`setup_growth: sub-store, three referral levels, docked listing and ${settings.buyers} buyers in ${Date.now() - growthStarted} ms\n`);

    // The plain mix: guests, the list price, the shop's own (sandbox) EPay gateway.
    // BENCH_MIX=growth runs the growth mix alone (profiling it without the plain mix's samples).
    let tradeCounter = 0;
    const plain = settings.onlyGrowth
      ? undefined
      : await runMix({
          url,
          checkout: (send, index) =>
            call(send, "POST", "/api/orders", { productId, quantity: 1, contact: `b${index}@example.com`, queryPassword: "pass-1234" }),
          pay: async (send, index, order) =>
            (await call(send, "GET", notifyPath(shopId, signedNotification(merchant, order, `B${index}-${tradeCounter++}`)))).text === "success",
          pgPids: admin,
          pids: { api: server.pid!, workers: workers.pid!, indexer: indexer?.pid ?? -1 },
        });
    if (plain) printMix(plain, "");

    // The growth mix, in the same process against the same platform: signed-in buyers with a
    // coupon and a tier price; two orders in three through the agent's sub-store (markup, three
    // commission levels), one in three of the reseller's docked listing (the supplier's keys).
    // Sub-store and docked sales are platform-collected (paymentMethod chain, docs/distribution.md
    // and docs/docking.md), so each is paid as the chain-payments job accepts a page of final
    // on-chain payments (acceptFinalChainPayments: the payments in flight together are the page)
    // and the fulfilment enqueue, here in the load generator at once. The wait for a block and its finality depth (seconds on any chain) is
    // the chain's, not the platform's, and is left out; the EPay notification of the plain mix is
    // an HTTP request to the API instead, so the growth mix spends that request's API CPU in the
    // load generator's own database calls.
    const database = await openDatabase({ url: env.DATABASE_URL ?? databaseUrl.toString(), poolSizeMax: 8, applicationName: "bench_chain_payer" });
    const queues = createQueues(settings.redisUrl, env.QUEUE_PREFIX ?? queuePrefix);
    const feeBps = Number(env.PLATFORM_FEE_BPS ?? 500);
    let chainCounter = 0;
    // The payments in flight together are the job's page: one group commit of them.
    const chainPayments = createGroupCommit(
      (payments: FinalChainPayment[]) => acceptFinalChainPayments(database.db, { platformFeeBps: feeBps, batchSizeMax: 100 }, payments),
      (payment) => payment.orderId,
    );
    const ordersOf = new Map<number, number>();
    try {
      const growthMix = await runMix({
        url,
        checkout: (send, index) => {
          const count = ordersOf.get(index) ?? 0;
          ordersOf.set(index, count + 1);
          // Every third order of each buyer is docked, the buyers starting at different places so
          // a short run is still a third docked.
          const target = (count + index) % 3 === 0 ? growth.dockedSale : growth.substoreSale;
          return call(
            send,
            "POST",
            "/api/orders",
            {
              productId: target.productId,
              quantity: 1,
              paymentMethod: "chain",
              couponCode: target.couponCode,
              ...(target.substore ? { substore: target.substore } : {}),
            },
            { authorization: `Bearer ${growth.buyerTokens[index]}` },
          );
        },
        pay: async (_send, _index, order) => {
          const outcome = await chainPayments.submit({
            orderId: order.id,
            shopId: BigInt(order.shopId),
            providerRef: `bench:0x${(chainCounter++).toString(16).padStart(64, "0")}:0`,
            amountMinor: BigInt(order.amountMinor),
            currency: "CNY",
            late: false,
          });
          if (outcome !== "accepted") return false;
          await enqueuePaidOrder(database.db, queues, order.id);
          return true;
        },
        pgPids: admin,
        pids: { api: server.pid!, workers: workers.pid!, indexer: indexer?.pid ?? -1 },
      });
      printMix(growthMix, "_growth");
      for (const [name, value] of Object.entries(await growthShape(database.db, shopId))) process.stdout.write(`growth_${name}=${value}\n`);
      if (!plain) return;
      const ratio = growthMix.ordersPerSecond / Math.max(plain.ordersPerSecond, Number.EPSILON);
      process.stdout.write(`growth_vs_plain_ratio=${ratio.toFixed(3)}\n`);
      // On a machine shared with other work the throughput ratio follows the other work (the
      // mixes run one after the other); the ratio of the platform's own CPU per order (all but
      // "other") is the steadier estimate of what the growth features cost.
      const own = (result: MixResult) => (result.cpuPerOrder.total ?? 0) - (result.cpuPerOrder.other ?? 0);
      process.stdout.write(`growth_vs_plain_cpu_ratio=${(own(plain) / Math.max(own(growthMix), Number.EPSILON)).toFixed(3)}\n`);
    } finally {
      await queues.close();
      await database.close();
    }
  } finally {
    for (const child of children.reverse()) await stopChild(child);
    await deleteRedisKeys(settings.redisUrl, queuePrefix);
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
