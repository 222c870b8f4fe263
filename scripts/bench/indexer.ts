// npm run bench:indexer — backfill throughput of our indexer against Ponder on the same local
// chain and PostgreSQL server, then live head-to-row latency of our indexer.
// 1. Starts a Hardhat node, deploys the platform contracts (deployPlatform) and emits at least
//    BENCH events through them: batches of 1,000 keys anchored on the KeyRegistry, then every key
//    issued as an entitlement (EntitlementToken.issue, 500 per transaction with one multiproof:
//    a Transfer per token and one EntitlementsIssued).
// 2. Our indexer, as its own process (indexer/main.ts), backfills them into a fresh database:
//    blocks, raw logs, decoded events, derived rows, platform consequences and checkpoints.
//    Timed from process start to the last event row written.
// 3. Ponder 0.16.10 in its default configuration indexes the same events into one table in
//    another fresh database on the same server. Timed the same way.
// 4. Live: one issuance per block at random moments; head-to-row is the time from the block's
//    mining to its Transfer row being readable, with our indexer polling every 250 ms.
// Options: --events=N (default 50000), --skip-ponder, --log-level=info. Prints name=value lines, the figures last.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createPublicClient, createWalletClient, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { loadArtifact } from "../../api/chain/contracts.ts";
import { deployPlatform, type DeployPlatformReturnType } from "../../api/chain/deploy.ts";
import { buildIssueCall, issueArgs } from "../../api/chain/issuanceCall.ts";
import { buildBatchTree, commitmentOf, type LeafValues } from "../../core/keys/leaf.ts";
import { startChain } from "../../test/support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../../test/support/database.ts";
import { writePonderProject } from "./ponder/project.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const eventsTarget = Number(process.argv.find((arg) => arg.startsWith("--events="))?.slice(9) ?? 50_000);
const skipPonder = process.argv.includes("--skip-ponder");
// --log-level=info shows the indexer's own timings (backfill ranges) on stdout.
const indexerLogLevel = process.argv.find((arg) => arg.startsWith("--log-level="))?.slice(12) ?? "warn";
const keysPerBatch = 1_000;
const tokensPerIssue = 500;
const livePollIntervalMs = 250;
const liveSamples = 40;
// Hardhat's first default account: a well-known test key holding test ether only.
const hardhatKey: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

type Workload = {
  addresses: DeployPlatformReturnType;
  events: number;
  send(address: Address, name: "KeyRegistry" | "EntitlementToken", functionName: string, args: readonly unknown[]): Promise<Hex>;
  issueNext(): Promise<Hex>;
};

async function emitWorkload(rpcUrl: string): Promise<Workload> {
  const account = privateKeyToAccount(hardhatKey);
  const publicClient = createPublicClient({ transport: http(rpcUrl) }) as PublicClient;
  const chainId = await publicClient.getChainId();
  const chain = { id: chainId, name: "hardhat", nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } };
  const wallet = createWalletClient({ account, chain, transport: http(rpcUrl) });
  const me = account.address;
  const addresses = await deployPlatform(wallet, publicClient, { admin: me, operator: me, issuer: me, custodian: me, treasury: me, ledgerAnchorer: me });
  const send = async (address: Address, name: "KeyRegistry" | "EntitlementToken", functionName: string, args: readonly unknown[]) => {
    const hash = await wallet.writeContract({ address, abi: loadArtifact(name).abi, functionName, args, gas: 16_000_000n } as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 5 });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
    return hash;
  };
  let events = 0;
  let batchId = 0n;
  const newBatch = async () => {
    batchId += 1n;
    const leaves: LeafValues[] = Array.from({ length: keysPerBatch }, (_, leafIndex) => ({
      chainId: BigInt(chainId),
      registry: addresses.registry,
      shopId: 1n,
      batchId,
      leafIndex,
      commitment: commitmentOf(randomBytes(32), `BENCH-${batchId}-${leafIndex}`),
    }));
    const tree = buildBatchTree(leaves);
    await send(addresses.registry, "KeyRegistry", "anchorBatch", [batchId, 1n, tree.root as Hex, keysPerBatch]);
    events += 1;
    return { tree, next: 0 };
  };
  let current = await newBatch();
  // Issues the next `count` keys of the current batch (a new batch when it is used up).
  const issue = async (count: number) => {
    if (current.next + count > keysPerBatch) current = await newBatch();
    const leafIndexes = Array.from({ length: count }, (_, offset) => current.next + offset);
    current.next += count;
    const hash = await send(addresses.entitlement, "EntitlementToken", "issue", issueArgs(buildIssueCall(current.tree, leafIndexes), me));
    events += count + 1;
    return hash;
  };
  while (events < eventsTarget) await issue(tokensPerIssue);
  return { addresses, events, send, issueNext: () => issue(1) };
}

const chain = await startChain();
const children: ChildProcess[] = [];
const databases: TestDatabase[] = [];
let ponderDir: string | undefined;

const waitForCount = async (client: pg.Client, query: string, target: number, child: ChildProcess, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await client
      .query(query)
      .then((result) => Number(result.rows[0].count))
      .catch((error: { code?: string }) => {
        // Before its first rows Ponder's schema and table do not exist yet (3F000, 42P01); any
        // other failure, a lost connection above all, ends the run.
        if (error.code === "42P01" || error.code === "3F000") return 0;
        throw error;
      });
    if (count >= target) return Date.now();
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before writing ${target} rows (had ${count})`);
    if (Date.now() > deadline) throw new Error(`timed out with ${count} of ${target} rows`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

try {
  const emitStarted = Date.now();
  const workload = await emitWorkload(chain.rpcUrl);
  const { addresses, events } = workload;
  const chainId = Number(
    BigInt(
      (
        await fetch(chain.rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        }).then((response) => response.json())
      ).result,
    ),
  );
  console.log(`events=${events}`);
  console.log(`emit_ms=${Date.now() - emitStarted}`);

  // Our indexer: the real entry point.
  const ours = await createServerDatabase({ poolSizeMax: 2 });
  databases.push(ours);
  const oursClient = new pg.Client({ connectionString: ours.url });
  // A dropped connection must fail the run through the finally below, not crash past it.
  oursClient.on("error", (error) => console.error(`benchmark database connection: ${error.message}`));
  await oursClient.connect();
  const indexerStarted = Date.now();
  const indexer = spawn(`${root}node_modules/.bin/node`, [`${root}indexer/main.ts`], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: ours.url!,
      CHAIN_RPC_URL: chain.rpcUrl,
      REGISTRY_ADDRESS: addresses.registry,
      ENTITLEMENT_ADDRESS: addresses.entitlement,
      PAYMENT_ADDRESS: addresses.payment,
      LEDGER_ANCHOR_ADDRESS: addresses.ledgerAnchor,
      DEPLOYMENT_BLOCK: String(addresses.deploymentBlock),
      LOG_LEVEL: indexerLogLevel,
      // Two ranges in flight: the local node answers on one thread, so more requests in flight
      // only compete for the two cores with decoding and PostgreSQL (measured: 4 was slower).
      INDEXER_CONCURRENCY: "2",
      INDEXER_FINALITY_DEPTH: "2",
      INDEXER_POLL_INTERVAL_MS: String(livePollIntervalMs),
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(indexer);
  const indexerDone = await waitForCount(oursClient, "SELECT count(*) FROM chain_events", events, indexer, 300_000);
  const indexerSeconds = (indexerDone - indexerStarted) / 1000;
  const stored = await oursClient.query(
    `SELECT (SELECT count(*) FROM chain_logs) AS logs, (SELECT count(*) FROM chain_transfers) AS transfers, (SELECT count(*) FROM chain_tokens) AS tokens,
            (SELECT count(*) FROM chain_blocks) AS blocks, (SELECT count(*) FROM chain_batch_anchors) AS anchors`,
  );
  const row = stored.rows[0];
  console.log(
    `indexer_seconds=${indexerSeconds.toFixed(2)} rows: logs=${row.logs} transfers=${row.transfers} tokens=${row.tokens} anchors=${row.anchors} blocks=${row.blocks}`,
  );

  // Live head-to-row latency, our indexer still running.
  const latencies: number[] = [];
  for (let sample = 0; sample < liveSamples; sample++) {
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * livePollIntervalMs)));
    const hash = await workload.issueNext();
    // The receipt is back: the block exists (Hardhat mines each transaction at once).
    const mined = Date.now();
    await waitForCount(oursClient, `SELECT count(*) FROM chain_transfers WHERE transaction_hash = '${hash.toLowerCase()}'`, 1, indexer, 30_000);
    latencies.push(Date.now() - mined);
  }
  indexer.kill("SIGTERM");
  await oursClient.end();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
  const indexerRate = events / indexerSeconds;

  let ponderRate: number | undefined;
  if (!skipPonder) {
    const theirs = await createServerDatabase({ poolSizeMax: 1 });
    databases.push(theirs);
    ponderDir = await writePonderProject(root, { registry: loadArtifact("KeyRegistry").abi, entitlement: loadArtifact("EntitlementToken").abi });
    const theirsClient = new pg.Client({ connectionString: theirs.url });
    theirsClient.on("error", (error) => console.error(`benchmark database connection: ${error.message}`));
    await theirsClient.connect();
    const ponderStarted = Date.now();
    const ponder = spawn(`${root}node_modules/.bin/ponder`, ["start", "--root", ponderDir, "--schema", "ponder_bench", "--port", "0"], {
      cwd: ponderDir,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: theirs.url!,
        PONDER_TELEMETRY_DISABLED: "1",
        NODE_ENV: "production",
        BENCH_RPC_URL: chain.rpcUrl,
        BENCH_CHAIN_ID: String(chainId),
        BENCH_REGISTRY: addresses.registry,
        BENCH_ENTITLEMENT: addresses.entitlement,
        BENCH_START_BLOCK: String(addresses.deploymentBlock),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Ponder logs its errors on stdout: keep the tail of both streams for a failure message.
    let ponderErrors = "";
    for (const stream of [ponder.stdout!, ponder.stderr!]) stream.on("data", (chunk) => (ponderErrors = (ponderErrors + chunk).slice(-3000)));
    children.push(ponder);
    // Ponder sees the backfilled events plus the live samples' (two per sample).
    const ponderTarget = events;
    try {
      const ponderDone = await waitForCount(theirsClient, "SELECT count(*) FROM ponder_bench.event", ponderTarget, ponder, 300_000);
      const ponderSeconds = (ponderDone - ponderStarted) / 1000;
      ponderRate = ponderTarget / ponderSeconds;
      console.log(`ponder_seconds=${ponderSeconds.toFixed(2)}`);
    } catch (error) {
      throw new Error(`Ponder: ${(error as Error).message}\n${ponderErrors}`);
    }
    ponder.kill("SIGTERM");
    await theirsClient.end();
  }

  console.log(`live_poll_interval_ms=${livePollIntervalMs} live_samples=${latencies.length}`);
  console.log(`indexer_events_per_s=${Math.round(indexerRate)}`);
  if (ponderRate !== undefined) {
    console.log(`ponder_events_per_s=${Math.round(ponderRate)}`);
    console.log(`indexer_vs_ponder_ratio=${(indexerRate / ponderRate).toFixed(2)}`);
  }
  console.log(`head_to_row_p50_ms=${percentile(50)}`);
  console.log(`head_to_row_p99_ms=${percentile(99)}`);
} finally {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const database of databases) await database.drop().catch(() => {});
  if (ponderDir) await rm(ponderDir, { recursive: true, force: true });
  await chain.stop();
}
