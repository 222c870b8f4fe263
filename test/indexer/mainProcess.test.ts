// The real entry point (`node indexer/main.ts`) against the real platform contracts deployed
// with deployPlatform: ABIs come from the compiled artifacts. A batch anchored through the
// KeyRegistry, an order paid through the PaymentRouter and a ledger anchor reach their tables;
// SIGTERM stops the process cleanly: the start and the end of the shutdown logged, the sync
// step timed, exit 0 long before the deadline.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, http, keccak256, stringToHex, toHex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { loadArtifact } from "../../api/chain/contracts.ts";
import { deployPlatform } from "../../api/chain/deploy.ts";
import { openSession } from "../../indexer/store/session.ts";
import { sql } from "../../indexer/store/sql.ts";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { hardhatKey } from "./support/emitter.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("indexer/main.ts against the real platform contracts", function () {
  this.timeout(90_000);
  let chain: TestChain;
  let database: TestDatabase;
  const shutdownDeadlineMs = 8_000;

  before(async () => {
    [chain, database] = await Promise.all([startChain(), createServerDatabase({ poolSizeMax: 2 })]);
  });
  after(async () => {
    await database?.drop();
    await chain?.stop();
  });

  it("indexes anchors, payments and ledger anchors from the artifacts' ABIs and stops on SIGTERM", async () => {
    const account = privateKeyToAccount(hardhatKey);
    const publicClient = createPublicClient({ transport: http(chain.rpcUrl) }) as PublicClient;
    const chainId = await publicClient.getChainId();
    const viemChain = {
      id: chainId,
      name: "hardhat",
      nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [chain.rpcUrl] } },
    };
    const wallet = createWalletClient({ account, chain: viemChain, transport: http(chain.rpcUrl) });
    const addresses = await deployPlatform(wallet, publicClient, {
      admin: account.address,
      operator: account.address,
      issuer: account.address,
      custodian: account.address,
      treasury: account.address,
      ledgerAnchorer: account.address,
    });
    const send = async (
      address: `0x${string}`,
      name: "KeyRegistry" | "PaymentRouter" | "LedgerAnchor",
      functionName: string,
      args: unknown[],
      value?: bigint,
    ) => {
      const hash = await wallet.writeContract({ address, abi: loadArtifact(name).abi, functionName, args, value } as never);
      await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
    };
    const root1 = keccak256(toHex("batch 1"));
    await send(addresses.registry, "KeyRegistry", "anchorBatch", [1n, 1n, root1, 10]);
    await send(addresses.payment, "PaymentRouter", "payNative", [stringToHex("ord_main", { size: 32 })], 12345n);
    await send(addresses.ledgerAnchor, "LedgerAnchor", "anchor", [5n, keccak256(toHex("ledger"))]);

    const child = spawn(`${root}node_modules/.bin/node`, [`${root}indexer/main.ts`], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: database.url!,
        CHAIN_RPC_URL: chain.rpcUrl,
        REGISTRY_ADDRESS: addresses.registry,
        ENTITLEMENT_ADDRESS: addresses.entitlement,
        PAYMENT_ADDRESS: addresses.payment,
        LEDGER_ANCHOR_ADDRESS: addresses.ledgerAnchor,
        STABLECOIN_ADDRESS: addresses.stablecoin,
        DEPLOYMENT_BLOCK: String(addresses.deploymentBlock),
        INDEXER_FINALITY_DEPTH: "2",
        INDEXER_POLL_INTERVAL_MS: "20",
        SHUTDOWN_DEADLINE_MS: String(shutdownDeadlineMs),
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The log (stdout) and anything else the process prints, in one place for failure messages.
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stderr += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const session = await openSession(database);
    try {
      const head = await publicClient.getBlockNumber({ cacheTime: 0 });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { rows } = await session.query<{ block_number: bigint }>(sql`SELECT block_number FROM indexer_checkpoints`);
        if (rows[0] && rows[0].block_number >= head) break;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`indexer did not reach the head (exit ${child.exitCode}): ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const anchors = await session.query<{ batch_id: string; root: string; issuer: string }>(
        sql`SELECT batch_id::text, root, issuer FROM chain_batch_anchors`,
      );
      expect(anchors.rows).to.deep.equal([{ batch_id: "1", root: root1, issuer: account.address.toLowerCase() }]);
      const payments = await session.query<{ order_id: string; amount: string; token: string }>(sql`SELECT order_id, amount::text, token FROM chain_payments`);
      expect(payments.rows).to.deep.equal([{ order_id: "ord_main", amount: "12345", token: "0x0000000000000000000000000000000000000000" }]);
      const ledger = await session.query<{ size: string }>(sql`SELECT size::text FROM chain_ledger_anchors`);
      expect(ledger.rows).to.deep.equal([{ size: "5" }]);
      const events = await session.query<{ event_name: string }>(sql`SELECT DISTINCT event_name FROM chain_events ORDER BY 1`);
      expect(events.rows.map((row) => row.event_name)).to.include.members(["BatchAnchored", "LedgerAnchored", "OrderPaid"]);
    } finally {
      await session.close();
      const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once("exit", (code) => resolve({ code, at: performance.now() })));
      const signalledAt = performance.now();
      child.kill("SIGTERM");
      const { code, at } = await exited;
      expect(code, stderr).to.equal(0);
      expect(at - signalledAt, "exit after the signal, ms").to.be.lessThan(shutdownDeadlineMs / 2);
      const lines = stderr
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map(
          (line) => JSON.parse(line) as { code?: string; reason?: string; deadlineMs?: number; durationMs?: number; stepDurationsMs?: Record<string, number> },
        );
      const started = lines.find((line) => line.code === "shutdown_started");
      expect(started, stderr).to.include({ reason: "SIGTERM", deadlineMs: shutdownDeadlineMs });
      const finished = lines.find((line) => line.code === "shutdown_finished");
      expect(Object.keys(finished?.stepDurationsMs ?? {}), stderr).to.deep.equal(["sync"]);
      expect(finished!.durationMs).to.be.within(0, shutdownDeadlineMs);
      expect(lines.indexOf(started!)).to.be.lessThan(lines.indexOf(finished!));
    }
  });
});
