// npm run bench:indexer — backfill throughput of our indexer against Ponder on the same local
// chain and PostgreSQL server, then live head-to-row latency of our indexer.
// 1. Starts a Hardhat node, deploys the benchmark's event contract (the platform's event
//    signatures; see test/indexer/support/emitter.ts) and emits BENCH_EVENTS Transfer events
//    (200 per transaction, one transaction per block).
// 2. Our indexer, as its own process, backfills them into a fresh database: blocks, raw logs,
//    decoded events, derived rows and checkpoints. Timed from process start to the last row.
// 3. Ponder 0.16.10, default configuration, indexes the same events into one table in another
//    fresh database. Timed the same way.
// 4. Live: one transaction per block at random gaps; head-to-row is the time from the block's
//    mining to its row being readable.
// Prints name=value lines, the figures last.
import { spawn, type ChildProcess } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Hex } from "viem";
import { startChain } from "../../test/support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../../test/support/database.ts";
import { deployEmitters, type EmitterSet } from "../../test/indexer/support/emitter.ts";
import { writePonderProject } from "./ponder/project.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const eventsTarget = Number(process.argv.find((arg) => arg.startsWith("--events="))?.slice(9) ?? 50_000);
const eventsPerTransaction = 200;
const livePollIntervalMs = 250;
const liveSamples = 40;
// --skip-ponder: our side only (for iterating on the indexer; the figures need both).
const skipPonder = process.argv.includes("--skip-ponder");

const chain = await startChain();
const children: ChildProcess[] = [];
const databases: TestDatabase[] = [];
let ponderDir: string | undefined;
try {
  const emitters = await deployEmitters(chain.rpcUrl);
  const chainId = await emitters.publicClient.getChainId();
  const transactions = Math.ceil(eventsTarget / eventsPerTransaction);
  const emitStarted = Date.now();
  for (let index = 0; index < transactions; index++) {
    await emitters.send(emitters.entitlement, "transfers", [BigInt(index * eventsPerTransaction), BigInt(eventsPerTransaction), emitters.account]);
  }
  const events = transactions * eventsPerTransaction;
  const head = BigInt((await emitters.publicClient.request({ method: "eth_blockNumber" } as never)) as Hex);
  console.log(`events=${events}`);
  console.log(`blocks=${head - emitters.deploymentBlock + 1n}`);
  console.log(`emit_ms=${Date.now() - emitStarted}`);

  const waitForCount = async (client: pg.Client, query: string, target: number, child: ChildProcess, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const count = await client.query(query).then((result) => Number(result.rows[0].count)).catch(() => 0);
      if (count >= target) return Date.now();
      if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before writing ${target} rows (had ${count})`);
      if (Date.now() > deadline) throw new Error(`timed out with ${count} of ${target} rows`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  // Our indexer.
  const ours = await createServerDatabase({ poolSizeMax: 2 });
  databases.push(ours);
  const oursClient = new pg.Client({ connectionString: ours.url });
  await oursClient.connect();
  const addresses = { registry: emitters.registry, entitlement: emitters.entitlement, payment: emitters.payment, ledgerAnchor: emitters.ledgerAnchor };
  const abiFile = join(tmpdir(), `keyledger-bench-abi-${process.pid}.json`);
  await writeFile(abiFile, JSON.stringify(emitters.abi));
  const indexerStarted = Date.now();
  const indexer = spawn(`${root}node_modules/.bin/node`, [`${root}test/indexer/support/indexerProcess.ts`, JSON.stringify(addresses), abiFile], {
    cwd: root,
    env: { PATH: process.env.PATH, DATABASE_URL: ours.url!, CHAIN_RPC_URL: chain.rpcUrl, DEPLOYMENT_BLOCK: String(emitters.deploymentBlock), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn", INDEXER_CONCURRENCY: "2", INDEXER_FINALITY_DEPTH: "2", INDEXER_POLL_INTERVAL_MS: String(livePollIntervalMs), ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith("TUNE_")).map(([name, value]) => [name.slice(5), value])) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(indexer);
  const indexerDone = await waitForCount(oursClient, "SELECT count(*) FROM chain_transfers", events, indexer, 300_000);
  const indexerSeconds = (indexerDone - indexerStarted) / 1000;
  const stored = await oursClient.query("SELECT (SELECT count(*) FROM chain_logs) AS logs, (SELECT count(*) FROM chain_events) AS events, (SELECT count(*) FROM chain_blocks) AS blocks");
  console.log(`indexer_seconds=${indexerSeconds.toFixed(2)} indexer_rows logs=${stored.rows[0].logs} events=${stored.rows[0].events} blocks=${stored.rows[0].blocks}`);

  // Live head-to-row latency, our indexer still running.
  await waitForCount(oursClient, "SELECT count(*) FROM indexer_checkpoints WHERE block_number >= " + head, 1, indexer, 30_000);
  const latencies: number[] = [];
  let nextToken = BigInt(events);
  for (let sample = 0; sample < liveSamples; sample++) {
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * livePollIntervalMs)));
    const hash = await emitters.wallet.writeContract({ address: emitters.entitlement, abi: emitters.abi, functionName: "transfers", args: [nextToken, 1n, emitters.account], chain: null, account: emitters.wallet.account! } as never);
    // Hardhat automines: the block exists once the transaction is accepted.
    const mined = Date.now();
    const tokenId = nextToken;
    nextToken += 1n;
    await waitForCount(oursClient, `SELECT count(*) FROM chain_transfers WHERE token_id = ${tokenId} AND transaction_hash = '${hash.toLowerCase()}'`, 1, indexer, 30_000);
    latencies.push(Date.now() - mined);
  }
  indexer.kill("SIGTERM");
  await oursClient.end();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;

  if (skipPonder) {
    console.log(`indexer_events_per_s=${Math.round(events / indexerSeconds)}`);
    console.log(`head_to_row_p50_ms=${percentile(50)}`);
    console.log(`head_to_row_p99_ms=${percentile(99)}`);
  } else {
    await runPonder({ events, indexerSeconds, percentile, samples: latencies.length, emitters, chainId, waitForCount });
  }
} finally {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const database of databases) await database.drop().catch(() => {});
  if (ponderDir) await rm(ponderDir, { recursive: true, force: true });
  await chain.stop();
}

type PonderRun = {
  events: number;
  indexerSeconds: number;
  percentile: (p: number) => number;
  samples: number;
  emitters: EmitterSet;
  chainId: number;
  waitForCount: (client: pg.Client, query: string, target: number, child: ChildProcess, timeoutMs: number) => Promise<number>;
};

async function runPonder({ events, indexerSeconds, percentile, samples, emitters, chainId, waitForCount }: PonderRun) {
  const theirs = await createServerDatabase({ poolSizeMax: 1 });
  databases.push(theirs);
  ponderDir = await writePonderProject(root, emitters.abi);
  const theirsClient = new pg.Client({ connectionString: theirs.url });
  await theirsClient.connect();
  const ponderStarted = Date.now();
  const ponder = spawn(`${root}node_modules/.bin/ponder`, ["start", "--root", ponderDir, "--schema", "ponder_bench", "--port", "0"], {
    cwd: ponderDir,
    env: { PATH: process.env.PATH, DATABASE_URL: theirs.url!, PONDER_TELEMETRY_DISABLED: "1", BENCH_RPC_URL: chain.rpcUrl, BENCH_CHAIN_ID: String(chainId), BENCH_ADDRESS: emitters.entitlement, BENCH_START_BLOCK: String(emitters.deploymentBlock), NODE_ENV: "production" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let ponderErrors = "";
  ponder.stderr!.on("data", (chunk) => (ponderErrors = (ponderErrors + chunk).slice(-3000)));
  children.push(ponder);
  let ponderSeconds: number;
  try {
    const ponderDone = await waitForCount(theirsClient, "SELECT count(*) FROM ponder_bench.transfer", events, ponder, 300_000);
    ponderSeconds = (ponderDone - ponderStarted) / 1000;
  } catch (error) {
    throw new Error(`Ponder: ${(error as Error).message}\n${ponderErrors}`);
  }
  ponder.kill("SIGTERM");
  await theirsClient.end();

  const indexerRate = events / indexerSeconds;
  const ponderRate = events / ponderSeconds;
  console.log(`ponder_seconds=${ponderSeconds.toFixed(2)}`);
  console.log(`live_poll_interval_ms=${livePollIntervalMs} live_samples=${samples}`);
  console.log(`indexer_events_per_s=${Math.round(indexerRate)}`);
  console.log(`ponder_events_per_s=${Math.round(ponderRate)}`);
  console.log(`indexer_vs_ponder_ratio=${(indexerRate / ponderRate).toFixed(2)}`);
  console.log(`head_to_row_p50_ms=${percentile(50)}`);
  console.log(`head_to_row_p99_ms=${percentile(99)}`);
}
