// `npm run bench:sale`: the whole sale path under load on this machine, against the real
// PostgreSQL server and Redis. 32 buyers (BENCH_BUYERS) for 20 s (BENCH_SECONDS) each loop:
// check out through the API, pay with a signed sandbox EPay notification, poll the order
// until the key is delivered (each poll is a long poll, `waitSeconds`, as the order page does:
// the server answers when the order changes). The API and the workers run in separate processes, as in
// production. Prints orders_per_s, checkout_to_delivery_p50_ms / _p99_ms and
// duplicate_deliveries (codes delivered to more than one order), last; before them, the CPU
// each group of processes spent per order during the load (cpu_ms_per_order_*, from /proc).
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

const root = fileURLToPath(new URL("../../", import.meta.url));
const settings = {
  pgAdminUrl: process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  buyers: Number(process.env.BENCH_BUYERS ?? 32),
  seconds: Number(process.env.BENCH_SECONDS ?? 20),
  // Enough keys for the fastest run we expect (about 600 orders/s) plus margin.
  keys: Number(process.env.BENCH_KEYS ?? 20_000),
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
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

    const latencies: number[] = [];
    // The same latencies by the quarter of the run their checkout began in: whether the tail
    // is the warm-up (JIT, first tree rebuilds, cold caches) or the steady state.
    const byQuarter: number[][] = [[], [], [], []];
    let loadStart = 0;
    const stepTimes = { checkout: [] as number[], notify: [] as number[], polls: [] as number[] };
    const codes: string[] = [];
    let failures = 0;
    const deadline = Date.now() + settings.seconds * 1000;
    let tradeCounter = 0;
    const buyer = async (index: number) => {
      const connection = new KeepAliveConnection(url);
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
        const checkout = await call(send, "POST", "/api/orders", {
          productId,
          quantity: 1,
          contact: `b${index}@example.com`,
          queryPassword: "pass-1234",
        });
        const afterCheckout = performance.now();
        stepTimes.checkout.push(afterCheckout - begin);
        if (checkout.status !== 201) {
          failures += 1;
          continue;
        }
        const order = checkout.body.order as { id: string; amountMinor: string };
        const notified = await call(send, "GET", notifyPath(shopId, signedNotification(merchant, order, `B${index}-${tradeCounter++}`)));
        const afterNotify = performance.now();
        stepTimes.notify.push(afterNotify - afterCheckout);
        if (notified.text !== "success") {
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
    const cpu = startCpuReading({ api: server.pid!, workers: workers.pid!, indexer: indexer?.pid ?? -1, loadgen: process.pid });
    loadStart = performance.now();
    await Promise.all(Array.from({ length: settings.buyers }, (_, i) => buyer(i)));
    const elapsedSeconds = (performance.now() - loadStart) / 1000;
    // Where each order's CPU went (ms per order by process group; "chain" is the local node).
    const backends = await admin.query<{ pid: number; label: string }>(
      `SELECT pid, replace(coalesce(nullif(application_name, ''), backend_type), ' ', '_') AS label FROM pg_stat_activity`,
    );
    const postgresLabels = new Map(backends.rows.map((row) => [row.pid, row.label]));
    for (const [group, ms] of Object.entries(cpu.finish(latencies.length, postgresLabels)))
      process.stdout.write(`cpu_ms_per_order_${group}=${ms.toFixed(2)}\n`);
    latencies.sort((a, b) => a - b);
    const duplicates = codes.length - new Set(codes).size;
    process.stdout.write(
      `buyers=${settings.buyers}\nseconds=${elapsedSeconds.toFixed(1)}\norders_delivered=${latencies.length}\nfailed_attempts=${failures}\n`,
    );
    for (const [step, values] of Object.entries(stepTimes)) {
      values.sort((a, b) => a - b);
      process.stdout.write(`step_${step}_p50_ms=${percentile(values, 50).toFixed(1)}\nstep_${step}_p99_ms=${percentile(values, 99).toFixed(1)}\n`);
    }
    const quarterP99s = byQuarter.map((values) =>
      percentile(
        values.sort((a, b) => a - b),
        99,
      ).toFixed(1),
    );
    process.stdout.write(`checkout_to_delivery_p99_ms_by_quarter=${quarterP99s.join("/")}\n`);
    process.stdout.write(`orders_per_s=${(latencies.length / elapsedSeconds).toFixed(1)}\n`);
    process.stdout.write(`checkout_to_delivery_p50_ms=${percentile(latencies, 50).toFixed(1)}\n`);
    process.stdout.write(`checkout_to_delivery_p99_ms=${percentile(latencies, 99).toFixed(1)}\n`);
    process.stdout.write(`duplicate_deliveries=${duplicates}\n`);
  } finally {
    for (const child of children.reverse()) await stopChild(child);
    await deleteRedisKeys(settings.redisUrl, queuePrefix);
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
