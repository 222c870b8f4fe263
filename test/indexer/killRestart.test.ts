// kill -9 of a real indexer process mid-backfill and mid-live: the restarted process resumes
// from its checkpoint with no missing and no duplicate row. A standby process waiting on the
// advisory lock takes over when the active one is killed.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { toHex, type Hex } from "viem";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { readCheckpoint } from "../../indexer/store/checkpoint.ts";
import { openSession, type SqlSession } from "../../indexer/store/session.ts";
import { sql } from "../../indexer/store/sql.ts";
import { deployEmitters, type EmitterSet } from "./support/emitter.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("indexer process: kill -9, restart and standby", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let database: TestDatabase;
  let emitters: EmitterSet;
  let observer: SqlSession;
  let chainId: number;
  const children: ChildProcess[] = [];
  let tokenId = 0n;

  before(async () => {
    [chain, database] = await Promise.all([startChain(), createServerDatabase({ poolSizeMax: 2 })]);
    emitters = await deployEmitters(chain.rpcUrl);
    chainId = await emitters.publicClient.getChainId();
    observer = await openSession(database);
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await observer?.close();
    await database?.drop();
    await chain?.stop();
  });

  const head = async () => BigInt((await emitters.publicClient.request({ method: "eth_blockNumber" } as never)) as Hex);
  const emitBlocks = async (blocks: number) => {
    for (let index = 0; index < blocks; index++) {
      await emitters.send(emitters.entitlement, "transfers", [tokenId, 40n, emitters.account]);
      tokenId += 40n;
    }
  };
  const spawnIndexer = (overrides: Record<string, string> = {}) => {
    const addresses = { registry: emitters.registry, entitlement: emitters.entitlement, payment: emitters.payment, ledgerAnchor: emitters.ledgerAnchor };
    const child = spawn(`${root}node_modules/.bin/node`, [`${root}test/indexer/support/indexerProcess.ts`, JSON.stringify(addresses)], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: database.url!,
        CHAIN_RPC_URL: chain.rpcUrl,
        DEPLOYMENT_BLOCK: String(emitters.deploymentBlock),
        LOG_LEVEL: "warn",
        // Small ranges and one request in flight: the backfill takes many commits, so the kill
        // lands in the middle of it.
        INDEXER_RANGE_BLOCKS_INITIAL: "1",
        INDEXER_RANGE_BLOCKS_MAX: "2",
        INDEXER_CONCURRENCY: "1",
        INDEXER_FINALITY_DEPTH: "3",
        INDEXER_POLL_INTERVAL_MS: "20",
        INDEXER_STANDBY_POLL_MS: "50",
        ...overrides,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    child.on("exit", (code) => {
      if (code !== null && code !== 0) console.error(`indexer process exited ${code}: ${stderr}`);
    });
    children.push(child);
    return child;
  };
  const checkpointNumber = async () => (await readCheckpoint(observer, chainId))?.blockNumber ?? -1n;
  const waitFor = async (condition: () => Promise<boolean>, what: string, timeoutMs = 40_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const killHard = async (child: ChildProcess) => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };
  const expectExactLogs = async () => {
    const direct = (await emitters.publicClient.request({
      method: "eth_getLogs",
      params: [
        {
          address: [emitters.registry, emitters.entitlement, emitters.payment, emitters.ledgerAnchor],
          fromBlock: toHex(emitters.deploymentBlock),
          toBlock: "latest",
        },
      ],
    } as never)) as { blockNumber: Hex; logIndex: Hex }[];
    const { rows } = await observer.query<{ block_number: bigint; log_index: number }>(sql`SELECT block_number, log_index FROM chain_logs ORDER BY 1, 2`);
    expect(rows.map((row) => `${row.block_number}:${row.log_index}`)).to.deep.equal(direct.map((log) => `${BigInt(log.blockNumber)}:${Number(log.logIndex)}`));
    const derived = await observer.query<{ transfers: bigint; distinct_tokens: bigint }>(
      sql`SELECT count(*) AS transfers, count(DISTINCT token_id) AS distinct_tokens FROM chain_transfers`,
    );
    expect(derived.rows[0]!.transfers).to.equal(BigInt(direct.length));
    expect(derived.rows[0]!.distinct_tokens).to.equal(BigInt(direct.length));
  };

  it("resumes after kill -9 mid-backfill with no gap and no duplicate", async () => {
    await emitBlocks(150);
    const target = await head();
    const first = spawnIndexer();
    await waitFor(async () => (await checkpointNumber()) > emitters.deploymentBlock + 20n, "backfill progress");
    await killHard(first);
    const reached = await checkpointNumber();
    expect(reached < target - 10n, `killed mid-backfill (at ${reached} of ${target})`).to.equal(true);
    const second = spawnIndexer();
    await waitFor(async () => (await checkpointNumber()) === (await head()), "the restarted indexer to reach the head");
    await expectExactLogs();
    await killHard(second);
  });

  it("resumes after kill -9 mid-live, and a standby takes over from a killed writer", async () => {
    const active = spawnIndexer();
    await waitFor(async () => (await checkpointNumber()) === (await head()), "live");
    const standby = spawnIndexer();
    // While live: new blocks arrive one by one and are indexed as they come.
    for (let round = 0; round < 5; round++) {
      await emitBlocks(1);
      await waitFor(async () => (await checkpointNumber()) === (await head()), "the new block");
    }
    await emitBlocks(20);
    await killHard(active);
    expect(standby.exitCode).to.equal(null);
    await emitBlocks(5);
    await waitFor(async () => (await checkpointNumber()) === (await head()), "the standby to take over and reach the head");
    await expectExactLogs();
    await killHard(standby);
  });
});
