// Tamper evidence end to end: journal entries are chained by the hasher, anchored on a real
// Hardhat node through LedgerAnchor, proven (inclusion, consistency) against the on-chain
// roots, recovered after a crash between the anchor transaction and its record, and audited by
// `keyledger audit ledger` (database and export). A posting changed
// behind the triggers' back is caught, and the audit names the first broken entry.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, http, type Account, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ledgerAnchorAbi } from "../../core/chain/abis.ts";
import { deployContract } from "../../api/chain/deploy.ts";
import { anchorLedger, type AnchorLedgerContext } from "../../api/ledger/anchorLedger.ts";
import { createJournalBatcher } from "../../api/ledger/batcher.ts";
import { postOrderPayment, requestPayout } from "../../api/ledger/flows.ts";
import { hashPendingEntries } from "../../api/ledger/hasher.ts";
import { verifyConsistency, verifyInclusion } from "../../api/ledger/merkleLog.ts";
import { getConsistencyProof, getInclusionProof } from "../../api/ledger/proofs.ts";
import { listAnchors } from "../../api/ledger/statements.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

const cli = fileURLToPath(new URL("../../scripts/cli/keyledger.ts", import.meta.url));
// Hardhat's first default account: a well-known test key holding test ether only.
const hardhatKey: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const bytes = (hex: string) => Buffer.from(hex.slice(2), "hex");

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "audit", "ledger", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function hashAll(database: TestDatabase): Promise<void> {
  while ((await hashPendingEntries(database.db, { batchSizeMax: 1000 })).hashed > 0);
}

describe("ledger tamper evidence: chain, anchors, proofs and keyledger audit ledger", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let chain: TestChain;
  let context: AnchorLedgerContext;
  let publicClient: PublicClient;
  let anchorAddress: Hex;
  let directory: string;

  before(async () => {
    [database, chain] = await Promise.all([createServerDatabase(), startChain()]);
    directory = await mkdtemp(join(tmpdir(), "kl-ledger-audit-"));
    const account = privateKeyToAccount(hardhatKey);
    const transport = http(chain.rpcUrl);
    publicClient = createPublicClient({ transport, pollingInterval: 50 }) as PublicClient;
    const chainId = await publicClient.getChainId();
    const viemChain: Chain = {
      id: chainId,
      name: "hardhat",
      nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [chain.rpcUrl] } },
    };
    const walletClient = createWalletClient({ account, chain: viemChain, transport }) as WalletClient<Transport, Chain, Account>;
    anchorAddress = (await deployContract(walletClient, publicClient, "LedgerAnchor", [account.address, account.address])).address;
    context = { db: database.db, publicClient, walletClient, anchorAddress, entriesMin: 1 };
  });
  after(async () => {
    await Promise.all([database?.drop(), chain?.stop(), directory ? rm(directory, { recursive: true, force: true }) : undefined]);
  });

  it("anchors the chained journal on-chain, twice, and records each anchor once", async () => {
    const batcher = createJournalBatcher(database.db, { batchSizeMax: 20, flushesInFlightMax: 2, batchWaitMs: 0, queueLengthMax: 1000 });
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        i % 5 === 0
          ? postOrderPayment(database.db, {
              orderId: `a-${i}`,
              shopId: 1n,
              amountMinor: 1_000n + BigInt(i),
              currency: "CNY",
              provider: "chain",
              platformFeeBps: 500,
            })
          : batcher.post({
              idempotencyKey: `audit:${i}`,
              kind: "transfer",
              reference: { type: "adjustment", id: String(i) },
              postings: [
                { account: { ownerType: "platform", ownerId: 0n, purpose: "adjustments" }, amountMinor: -BigInt(i), currency: "USD" },
                { account: { ownerType: "shop", ownerId: 2n, purpose: "payable" }, amountMinor: BigInt(i), currency: "USD" },
              ],
            }),
      ),
    );
    expect(await anchorLedger(context)).to.deep.include({ anchored: false });
    await hashAll(database);
    const first = await anchorLedger(context);
    expect(first).to.deep.include({ anchored: true, size: 25n });
    expect(await anchorLedger(context)).to.deep.include({ anchored: false, size: 25n });
    await requestPayout(database.db, { payoutId: "audit-payout", shopId: 1n, amountMinor: 100n, currency: "CNY", expiresAt: new Date(Date.now() + 3_600_000) });
    for (let i = 0; i < 12; i++)
      await postOrderPayment(database.db, { orderId: `b-${i}`, shopId: 3n, amountMinor: 50n, currency: "CNY", provider: "chain", platformFeeBps: 0 });
    await hashAll(database);
    const second = await anchorLedger(context);
    expect(second).to.deep.include({ anchored: true, size: 38n });
    const onChain = await publicClient.readContract({ address: anchorAddress, abi: ledgerAnchorAbi, functionName: "latestAnchor" });
    expect(onChain[0]).to.equal(38n);
    expect(onChain[1]).to.equal(second.anchored ? second.root : "");
    const listed = await listAnchors(database.db, { limit: 10 });
    expect(listed.anchors.map((anchor) => [anchor.size, anchor.previousSize, anchor.transactionIds.length])).to.deep.equal([
      [38n, 25n, 13],
      [25n, 0n, 25],
    ]);
  });

  it("proves an entry's inclusion and the anchors' consistency against the on-chain roots", async () => {
    const [size25, root25] = await publicClient.readContract({ address: anchorAddress, abi: ledgerAnchorAbi, functionName: "anchorAt", args: [0n] });
    const [size38, root38] = await publicClient.readContract({ address: anchorAddress, abi: ledgerAnchorAbi, functionName: "anchorAt", args: [1n] });
    const entries = await queryRows<{ tx_id: bigint; seq: bigint }>(
      database.db,
      sql`SELECT tx_id, seq FROM ledger_chain WHERE seq IN (1, 17, 25, 38) ORDER BY seq`,
    );
    for (const entry of entries) {
      const proof = await getInclusionProof(database.db, { transactionId: entry.tx_id });
      expect(proof.treeSize).to.equal("38");
      expect(proof.anchor?.contractAddress).to.equal(anchorAddress.toLowerCase());
      expect(verifyInclusion(BigInt(proof.leafIndex), size38, bytes(proof.leafHash), proof.path.map(bytes), bytes(root38))).to.equal(true);
      // Against the wrong anchor (the older root with the newer size, or the other way) it fails.
      expect(verifyInclusion(BigInt(proof.leafIndex), size38, bytes(proof.leafHash), proof.path.map(bytes), bytes(root25))).to.equal(false);
      if (entry.seq <= 25n) {
        const old = await getInclusionProof(database.db, { transactionId: entry.tx_id, treeSize: 25n });
        expect(verifyInclusion(BigInt(old.leafIndex), size25, bytes(old.leafHash), old.path.map(bytes), bytes(root25))).to.equal(true);
      }
    }
    const consistency = await getConsistencyProof(database.db, { firstSize: size25, secondSize: size38 });
    expect(verifyConsistency(size25, size38, bytes(root25), bytes(root38), consistency.proof.map(bytes))).to.equal(true);
    expect(verifyConsistency(size25, size38, bytes(root38), bytes(root25), consistency.proof.map(bytes))).to.equal(false);
  });

  it("records an anchor that reached the chain but not the database (a crash in between)", async () => {
    for (let i = 0; i < 2; i++)
      await postOrderPayment(database.db, { orderId: `c-${i}`, shopId: 4n, amountMinor: 70n, currency: "CNY", provider: "epay", platformFeeBps: 0 });
    await hashAll(database);
    const proof = await getConsistencyProof(database.db, { firstSize: 38n, secondSize: 40n });
    const hash = await context.walletClient.writeContract({
      address: anchorAddress,
      abi: ledgerAnchorAbi,
      functionName: "anchor",
      args: [40n, proof.secondRoot as Hex],
    });
    await publicClient.waitForTransactionReceipt({ hash });
    const result = await anchorLedger(context);
    expect(result).to.deep.include({ anchored: false, recovered: 1, size: 40n });
    const recorded = await queryOne<{ tx_hash: string }>(database.db, sql`SELECT tx_hash FROM ledger_anchors WHERE size = 40`);
    expect(recorded!.tx_hash).to.equal(hash);
  });

  it("audits the database and an export against the chain: OK", async () => {
    const live = await runCli(["--database-url", database.url!, "--rpc", chain.rpcUrl, "--anchor-address", anchorAddress, "--json"]);
    expect(live.code, live.stderr + live.stdout).to.equal(0);
    const report = JSON.parse(live.stdout);
    expect(report).to.deep.include({ ok: true, entriesChecked: 40, anchorsChecked: 3, firstBrokenEntry: null });
    const file = join(directory, "journal.json");
    const written = await runCli(["--database-url", database.url!, "--write-export", file]);
    expect(written.code, written.stderr).to.equal(0);
    const fromExport = await runCli(["--export", file, "--rpc", chain.rpcUrl, "--anchor-address", anchorAddress]);
    expect(fromExport.code, fromExport.stderr + fromExport.stdout).to.equal(0);
    expect(fromExport.stdout).to.contain("ledger audit: OK");
    // An export edited by hand is caught too, at the edited entry.
    const journal = JSON.parse(await readFile(file, "utf8"));
    journal.entries[29].entry.postings[0].amountMinor = String(BigInt(journal.entries[29].entry.postings[0].amountMinor) + 1n);
    await writeFile(join(directory, "edited.json"), JSON.stringify(journal));
    const edited = await runCli(["--export", join(directory, "edited.json"), "--rpc", chain.rpcUrl, "--anchor-address", anchorAddress, "--json"]);
    expect(edited.code).to.equal(1);
    expect(JSON.parse(edited.stdout).firstBrokenEntry.seq).to.equal("30");
  });

  it("catches a posting changed with the triggers disabled and names the first broken entry", async () => {
    const target = await queryOne<{ tx_id: bigint }>(database.db, sql`SELECT tx_id FROM ledger_chain WHERE seq = 17`);
    const later = await queryOne<{ tx_id: bigint }>(database.db, sql`SELECT tx_id FROM ledger_chain WHERE seq = 31`);
    const client = await database.pool!.connect();
    try {
      await client.query("ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_append_only");
      // Move 1 minor unit between the two postings of each entry: both stay balanced, so only
      // the hash chain can tell.
      for (const txId of [later!.tx_id, target!.tx_id]) {
        await client.query(
          `UPDATE ledger_postings SET amount_minor = amount_minor + CASE WHEN amount_minor > 0 THEN 1 ELSE -1 END
           WHERE tx_id = $1 AND account_id IN (SELECT account_id FROM ledger_postings WHERE tx_id = $1 ORDER BY account_id LIMIT 2)`,
          [txId],
        );
      }
      await client.query("ALTER TABLE ledger_postings ENABLE TRIGGER ledger_postings_append_only");
    } finally {
      client.release();
    }
    const audit = await runCli(["--database-url", database.url!, "--rpc", chain.rpcUrl, "--anchor-address", anchorAddress]);
    expect(audit.code, audit.stderr).to.equal(1);
    expect(audit.stdout).to.contain(`FIRST BROKEN ENTRY: seq 17 (journal transaction ${target!.tx_id})`);
    expect(audit.stdout).to.match(/anchor: anchor size 25: on-chain root/);
    // The materialised balances no longer equal the changed postings either.
    expect(audit.stdout).to.contain("invariant:balanceMismatches");
    expect(audit.stdout).to.contain("ledger audit: BROKEN");
  });
});
