// The certificate and the trustless verifier on a real Hardhat node: keys imported, the batch
// anchored by the shop's issuer, some keys sold and issued, then certificates checked by
// verifyCertificateOnChain and the `keyledger verify` command with the chain alone.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createPublicClient, createWalletClient, decodeEventLog, http, toHex, type Hex, type PublicClient } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { entitlementTokenAbi, keyRegistryAbi } from "../../core/chain/abis.ts";
import { deployPlatform, type DeployPlatformReturnType } from "../../api/chain/deploy.ts";
import { buildIssueCall } from "../../api/chain/issuanceCall.ts";
import { loadBatchTree } from "../../api/keys/batchTree.ts";
import { buildCertificate, type SaltRelease } from "../../api/keys/certificate.ts";
import type { Certificate } from "../../core/keys/certificateSchema.ts";
import { createImport, runImport } from "../../api/keys/importKeys.ts";
import { verifyCertificateOffline, verifyCertificateOnChain, type OnChainVerdict } from "../../core/keys/verifyCertificate.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { main as verifyMain } from "../../scripts/cli/commands/verify.ts";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createTestShop, makeSecrets, testRing, type TestShop } from "./fixtures.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const runProcess = promisify(execFile);

// Hardhat's default development accounts 0 and 1 (a public test mnemonic, funded on every node).
const hardhatMnemonic = "test test test test test test test test test test test junk";

function failed(verdict: OnChainVerdict | ReturnType<typeof verifyCertificateOffline>): string[] {
  return verdict.checks.filter((check) => check.status === "fail").map((check) => check.name);
}

function capture() {
  let stdout = "";
  let stderr = "";
  return {
    io: { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } },
    out: () => stdout,
    err: () => stderr,
  };
}

describe("keys: certificates and the trustless verifier (Hardhat node)", () => {
  let chain: TestChain;
  let database: TestDatabase;
  let client: PublicClient;
  let contracts: DeployPlatformReturnType;
  let shop: TestShop;
  let secrets: string[];
  let batchId: bigint;
  let workDir: string;
  const ring = testRing();
  const admin = mnemonicToAccount(hardhatMnemonic, { addressIndex: 0 });
  const issuer = mnemonicToAccount(hardhatMnemonic, { addressIndex: 1 });
  const keyIdByLeaf = new Map<number, bigint>();
  const tokenByLeaf = new Map<number, bigint>();

  before(async () => {
    [chain, database, workDir] = await Promise.all([startChain(), createServerDatabase(), mkdtemp(join(tmpdir(), "kl-verify-"))]);
    client = createPublicClient({ transport: http(chain.rpcUrl) });
    const adminWallet = createWalletClient({ account: admin, transport: http(chain.rpcUrl) });
    const issuerWallet = createWalletClient({ account: issuer, transport: http(chain.rpcUrl) });
    contracts = await deployPlatform(adminWallet, client, {
      admin: admin.address,
      operator: admin.address,
      issuer: issuer.address,
      custodian: admin.address,
      treasury: admin.address,
      ledgerAnchorer: admin.address,
    });
    const chainId = BigInt(await client.getChainId());

    // Import, then anchor the batch as the shop's issuer and record it as the anchor job does.
    shop = await createTestShop(database.db, ring, issuer.address);
    secrets = makeSecrets(40);
    const { importId } = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.join("\n") });
    ({ batchId } = await runImport(database.db, ring, { chainId, registry: contracts.registry }, importId));
    const tree = await loadBatchTree(database.db, batchId);
    const anchorHash = await issuerWallet.writeContract({
      chain: null,
      address: contracts.registry,
      abi: keyRegistryAbi,
      functionName: "anchorBatch",
      args: [batchId, shop.shopId, tree.root as Hex, 40],
    });
    const anchorReceipt = await client.waitForTransactionReceipt({ hash: anchorHash });
    await database.db.execute(
      sql`UPDATE batches SET anchor_state = 'included', anchor_tx = ${anchorHash}, anchor_block = ${anchorReceipt.blockNumber}, anchored_at = now()
          WHERE id = ${batchId}`,
    );
    await database.db.execute(sql`SELECT batch_release_keys(${batchId})`);

    // Sell leaves 0-5 to one order, then issue them in one multiproof transaction.
    const orderId = `ord-${batchId}`;
    await database.db.execute(
      sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at)
          VALUES (${orderId}, ${shop.shopId}, ${shop.productId}, ${shop.accountId}, 6, 1000, 6000, 'CNY', 'fulfilled', now() + interval '1 hour')`,
    );
    const sold = await queryRows<{ id: bigint; leaf_index: number }>(
      database.db,
      sql`UPDATE keys SET status = 'sold', order_id = ${orderId}, sold_at = now()
          WHERE batch_id = ${batchId} AND leaf_index < 6 RETURNING id, leaf_index`,
    );
    for (const row of sold) {
      keyIdByLeaf.set(row.leaf_index, BigInt(row.id));
      await database.db.execute(
        sql`INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id)
            VALUES (${row.id}, ${orderId}, ${shop.shopId}, ${shop.productId}, ${batchId}, ${shop.accountId})`,
      );
    }
    const call = buildIssueCall(tree, [0, 1, 2, 3, 4, 5]);
    const issueHash = await adminWallet.writeContract({
      chain: null,
      address: contracts.entitlement,
      abi: entitlementTokenAbi,
      functionName: "issue",
      args: [call.shopId, call.batchId, admin.address, call.leafIndexes, call.commitments, call.proof, call.proofFlags],
    });
    const issueReceipt = await client.waitForTransactionReceipt({ hash: issueHash });
    expect(issueReceipt.status).to.equal("success");
    const issued = issueReceipt.logs
      .map((log) => {
        try {
          return decodeEventLog({ abi: entitlementTokenAbi, data: log.data, topics: log.topics });
        } catch {
          return undefined;
        }
      })
      .find((event) => event?.eventName === "EntitlementsIssued");
    const firstTokenId = (issued!.args as { firstTokenId: bigint }).firstTokenId;
    for (const [position, leafIndex] of call.leafIndexes.entries()) {
      const tokenId = firstTokenId + BigInt(position);
      tokenByLeaf.set(leafIndex, tokenId);
      await database.db.execute(
        sql`UPDATE entitlements SET token_id = ${tokenId.toString()}, issue_state = 'included', issue_tx = ${issueHash},
            issue_block = ${issueReceipt.blockNumber}, issued_at = now() WHERE key_id = ${keyIdByLeaf.get(leafIndex)!}`,
      );
    }
  });

  after(async () => {
    await Promise.all([chain?.stop(), database?.drop(), workDir && rm(workDir, { recursive: true, force: true })]);
  });

  /** With the salt ("internal") unless asked otherwise: most cases here check the key itself. */
  async function certificateOf(leafIndex: number, salt: SaltRelease = "internal"): Promise<Certificate> {
    const key = await queryOne<{ id: bigint }>(database.db, sql`SELECT id FROM keys WHERE batch_id = ${batchId} AND leaf_index = ${leafIndex}`);
    return buildCertificate(
      database.db,
      BigInt(key!.id),
      {
        chainId: BigInt(await client.getChainId()),
        registry: contracts.registry,
        entitlement: contracts.entitlement,
      },
      salt,
    );
  }

  async function writeCertificate(name: string, certificate: unknown): Promise<string> {
    const path = join(workDir, name);
    await writeFile(path, JSON.stringify(certificate, null, 2));
    return path;
  }

  it("builds a shareable certificate that holds no secret and verifies offline with the key", async () => {
    const certificate = await certificateOf(3);
    const text = JSON.stringify(certificate);
    for (const secret of secrets) expect(text).not.to.include(secret);
    expect(certificate.version).to.equal("keyledger-certificate/2");
    expect(certificate.issuance?.tokenId).to.equal(tokenByLeaf.get(3)!.toString());
    expect(certificate.batch.anchor).to.not.equal(null);
    expect(certificate.shop.issuer).to.equal(issuer.address);
    const verdict = verifyCertificateOffline(certificate, secrets[3]);
    expect(failed(verdict)).to.deep.equal([]);
    expect(verdict.genuine).to.equal(true);
    expect(verifyCertificateOffline(certificate, ` ${secrets[3]}\n`).genuine).to.equal(true);
  });

  it("passes a genuine, issued, sealed key against the chain alone", async () => {
    const certificate = await certificateOf(3);
    const verdict = await verifyCertificateOnChain(client, certificate, { key: secrets[3], expectedIssuer: issuer.address });
    expect(failed(verdict)).to.deep.equal([]);
    expect(verdict).to.deep.include({ genuine: true, state: "sealed", tokenId: tokenByLeaf.get(3)!.toString(), owner: admin.address, issuer: issuer.address });
    expect(verdict.checks.map((check) => check.name)).to.include.members([
      "merkle_proof",
      "key_commitment",
      "root_anchored",
      "anchor_event",
      "issuer_authorised",
      "entitlement_registry",
      "leaf_issued",
      "token_leaf",
      "token_batch",
      "not_revoked",
      "redemption",
    ]);
  });

  it("reports a key with no entitlement token yet as genuine but not issued", async () => {
    const verdict = await verifyCertificateOnChain(client, await certificateOf(20), { key: secrets[20] });
    expect(verdict).to.deep.include({ genuine: true, state: "not_issued" });
  });

  it("fails a changed salt, secret, index, root or contract address", async () => {
    const genuine = await certificateOf(4);
    const key = secrets[4]!;
    const tampered = (change: (certificate: Certificate) => void): Certificate => {
      const copy = structuredClone(genuine);
      change(copy);
      return copy;
    };
    const flip = (hex: string): Hex => `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}` as Hex;

    const salt = await verifyCertificateOnChain(
      client,
      tampered((c) => {
        c.commitment.salt = flip(c.commitment.salt!);
      }),
      { key },
    );
    expect(failed(salt)).to.deep.equal(["key_commitment"]);
    const secret = await verifyCertificateOnChain(client, genuine, { key: secrets[5] });
    expect(failed(secret)).to.deep.equal(["key_commitment"]);
    // Another index: the leaf no longer matches the proof, and the token maps to another leaf.
    const index = await verifyCertificateOnChain(
      client,
      tampered((c) => {
        c.leaf.index = 5;
        c.leaf.values[4] = "5";
      }),
      { key },
    );
    expect(failed(index)).to.include.members(["leaf_hash", "merkle_proof", "token_leaf"]);
    const rootChanged = await verifyCertificateOnChain(
      client,
      tampered((c) => {
        c.batch.root = flip(c.batch.root);
      }),
      { key },
    );
    expect(failed(rootChanged)).to.include.members(["merkle_proof", "root_anchored", "anchor_event"]);
    // A registry the certificate was not committed to: the leaf, proof and root all break.
    const registry = await verifyCertificateOnChain(
      client,
      tampered((c) => {
        c.chain.registry = contracts.payment;
        c.leaf.values[1] = contracts.payment;
      }),
      { key },
    );
    expect(failed(registry)).to.include.members(["leaf_hash", "merkle_proof", "root_anchored", "anchor_event", "entitlement_registry"]);
    const entitlement = await verifyCertificateOnChain(
      client,
      tampered((c) => {
        c.chain.entitlement = contracts.stablecoin;
      }),
      { key },
    );
    expect(failed(entitlement)).to.include.members(["entitlement_registry", "leaf_issued"]);
    const otherIssuer = await verifyCertificateOnChain(client, genuine, { key, expectedIssuer: admin.address });
    expect(failed(otherIssuer)).to.deep.equal(["anchor_event"]);
    for (const verdict of [salt, secret, index, rootChanged, registry, entitlement, otherIssuer]) expect(verdict.genuine).to.equal(false);
  });

  it("withholds the salt of a sealed entitlement from everyone, and the verifier proves inclusion without it", async () => {
    const withheld = await certificateOf(3, "withhold");
    const holder = await certificateOf(3, "holder");
    // The entitlement of leaf 3 is sealed: not even its holder gets the salt yet.
    for (const certificate of [withheld, holder]) {
      expect(certificate.commitment.salt).to.equal(null);
      const verdict = await verifyCertificateOnChain(client, certificate, { key: secrets[3], expectedIssuer: issuer.address });
      expect(verdict).to.deep.include({ genuine: true, state: "sealed" });
      expect(verdict.checks.find((check) => check.name === "merkle_proof")?.status).to.equal("pass");
      expect(verdict.checks.find((check) => check.name === "key_commitment")).to.deep.include({ status: "skip" });
      expect(verdict.checks.find((check) => check.name === "key_commitment")?.detail).to.match(/unchecked/);
    }
    // A version 1 certificate (always with the salt) still verifies; one without its salt is malformed.
    const versionOne = { ...(await certificateOf(3)), version: "keyledger-certificate/1" };
    expect(verifyCertificateOffline(versionOne, secrets[3]).genuine).to.equal(true);
    expect(verifyCertificateOffline({ ...versionOne, commitment: { ...versionOne.commitment, salt: null } }).checks[0]).to.deep.include({
      name: "schema",
      status: "fail",
    });
    // A revealed entitlement's holder gets it; staff ("withhold") still do not.
    await database.db.execute(
      sql`UPDATE entitlements SET state = 'redeemed', revealed_at = now(), redeem_state = 'pending' WHERE key_id = (SELECT id FROM keys WHERE batch_id = ${batchId} AND leaf_index = 4)`,
    );
    const salt4 = await queryOne<{ salt: Buffer }>(database.db, sql`SELECT salt FROM keys WHERE batch_id = ${batchId} AND leaf_index = 4`);
    expect((await certificateOf(4, "holder")).commitment.salt).to.equal(toHex(salt4!.salt));
    expect((await certificateOf(4, "withhold")).commitment.salt).to.equal(null);
    expect(failed(verifyCertificateOffline(await certificateOf(4, "holder"), secrets[4]))).to.deep.equal([]);
  });

  it("reports a redeemed entitlement and a revoked one as such", async () => {
    const adminWallet = createWalletClient({ account: admin, transport: http(chain.rpcUrl) });
    const send = async (functionName: "redeem" | "revoke", tokenId: bigint) => {
      const hash =
        functionName === "redeem"
          ? await adminWallet.writeContract({ chain: null, address: contracts.entitlement, abi: entitlementTokenAbi, functionName, args: [[tokenId]] })
          : await adminWallet.writeContract({
              chain: null,
              address: contracts.entitlement,
              abi: entitlementTokenAbi,
              functionName,
              args: [[tokenId], toHex(1n, { size: 32 })],
            });
      expect((await client.waitForTransactionReceipt({ hash })).status).to.equal("success");
    };
    await send("redeem", tokenByLeaf.get(1)!);
    await send("revoke", tokenByLeaf.get(2)!);
    const redeemed = await verifyCertificateOnChain(client, await certificateOf(1), { key: secrets[1] });
    expect(redeemed).to.deep.include({ genuine: true, state: "redeemed" });
    expect(redeemed.checks.find((check) => check.name === "redemption")?.detail).to.match(/REDEEMED/);
    const revoked = await verifyCertificateOnChain(client, await certificateOf(2), { key: secrets[2] });
    expect(revoked).to.deep.include({ genuine: false, state: "revoked" });
    expect(failed(revoked)).to.deep.equal(["not_revoked"]);
  });

  it("`keyledger verify` prints a verdict and exits 0 for genuine, non-zero otherwise, never printing the key", async () => {
    const key = secrets[0]!;
    const certificatePath = await writeCertificate("genuine.json", await certificateOf(0));
    const keyPath = join(workDir, "key.txt");
    await writeFile(keyPath, `${key}\n`);

    const readable = capture();
    expect(await verifyMain(["--rpc", chain.rpcUrl, "--certificate", certificatePath, "--key", key], readable.io)).to.equal(0);
    expect(readable.out()).to.match(/Verdict: GENUINE\. The key and its certificate are committed on-chain in block \d+; entitlement token \d+ is SEALED/);
    expect(readable.out() + readable.err()).not.to.include(key);

    // Without the key, the sentence says so after the verdict, not inside it.
    const certificateOnly = capture();
    expect(await verifyMain(["--rpc", chain.rpcUrl, "--certificate", certificatePath], certificateOnly.io)).to.equal(0);
    expect(certificateOnly.out()).to.match(
      /Verdict: GENUINE\. The certificate is committed on-chain in block \d+; entitlement token \d+ is SEALED \(code not revealed\), owned by 0x[0-9a-fA-F]{40}\. No key was given, so the key itself was not checked\.\n$/,
    );

    const json = capture();
    expect(await verifyMain(["--rpc", chain.rpcUrl, "--certificate", certificatePath, "--key-file", keyPath, "--json"], json.io)).to.equal(0);
    const report = JSON.parse(json.out()) as { genuine: boolean; state: string; keyChecked: boolean };
    expect(report).to.deep.include({ genuine: true, state: "sealed", keyChecked: true });
    expect(json.out()).not.to.include(key);

    const wrongKey = capture();
    expect(await verifyMain(["--rpc", chain.rpcUrl, "--certificate", certificatePath, "--key", secrets[9]!], wrongKey.io)).to.equal(1);
    expect(wrongKey.out()).to.match(/\[FAIL\] key_commitment/);
    expect(wrongKey.out()).to.match(/Verdict: NOT GENUINE/);
    expect(wrongKey.out()).not.to.include(secrets[9]!);

    const redeemedPath = await writeCertificate("redeemed.json", await certificateOf(1));
    const sealedOnly = capture();
    expect(await verifyMain(["--rpc", chain.rpcUrl, "--certificate", redeemedPath, "--expect-sealed"], sealedOnly.io)).to.equal(3);
    expect(sealedOnly.out()).to.match(/REDEEMED/);
    const revokedPath = await writeCertificate("revoked.json", await certificateOf(2));
    const revoked = capture();
    expect(await verifyMain(["--rpc", chain.rpcUrl, "--certificate", revokedPath], revoked.io)).to.equal(1);
    expect(revoked.out()).to.match(/REVOKED/);

    // A sealed certificate (no salt): genuine, and the key given is reported unchecked, not matched.
    const sealedPath = await writeCertificate("sealed.json", await certificateOf(0, "withhold"));
    const sealedJson = capture();
    expect(await verifyMain(["--rpc", chain.rpcUrl, "--certificate", sealedPath, "--key", key, "--json"], sealedJson.io)).to.equal(0);
    expect(JSON.parse(sealedJson.out())).to.deep.include({ genuine: true, state: "sealed", keyChecked: false, saltWithheld: true });
    const sealedText = capture();
    expect(await verifyMain(["--rpc", chain.rpcUrl, "--certificate", sealedPath, "--key", key, "--expect-sealed"], sealedText.io)).to.equal(0);
    expect(sealedText.out()).to.match(/\[skip\] key_commitment\s+unchecked/);
    expect(sealedText.out()).to.match(
      /Verdict: GENUINE\. The certificate is committed on-chain in block \d+; .*\. The entitlement is sealed: its certificate carries no salt, so the key itself is checked only after reveal\.\n$/,
    );

    const garbage = capture();
    expect(await verifyMain(["--rpc", chain.rpcUrl, "--certificate", await writeCertificate("bad.json", { version: "x" })], garbage.io)).to.equal(1);
    expect(garbage.out()).to.match(/\[FAIL\] schema/);
    const usage = capture();
    expect(await verifyMain(["--certificate", certificatePath], usage.io)).to.equal(2);
    expect(usage.err()).to.match(/--rpc is required/);
    const unreachable = capture();
    expect(await verifyMain(["--rpc", "http://user:secret@127.0.0.1:9/v3/apikey123", "--certificate", certificatePath], unreachable.io)).to.equal(2);
    expect(unreachable.err()).to.match(/Could not verify: the RPC at http:\/\/127\.0\.0\.1:9 failed/);
    expect(unreachable.err()).not.to.match(/secret|apikey123/);
  });

  it("checks the issuer's role at the anchor block, so a later rotation of the issuer key keeps old batches genuine", async () => {
    const adminWallet = createWalletClient({ account: admin, transport: http(chain.rpcUrl) });
    const role = await client.readContract({ address: contracts.registry, abi: keyRegistryAbi, functionName: "ISSUER_ROLE" });
    const hash = await adminWallet.writeContract({
      chain: null,
      address: contracts.registry,
      abi: keyRegistryAbi,
      functionName: "revokeRole",
      args: [role, issuer.address],
    });
    expect((await client.waitForTransactionReceipt({ hash })).status).to.equal("success");
    const verdict = await verifyCertificateOnChain(client, await certificateOf(3), { key: secrets[3] });
    expect(verdict.genuine).to.equal(true);
    expect(verdict.checks.find((check) => check.name === "issuer_authorised")).to.deep.include({ status: "pass" });
  });

  it("runs as a separate process with no database or API configured", async () => {
    const certificatePath = await writeCertificate("process.json", await certificateOf(0));
    const { stdout } = await runProcess(
      `${root}node_modules/.bin/node`,
      ["scripts/cli/keyledger.ts", "verify", "--rpc", chain.rpcUrl, "--certificate", certificatePath, "--json"],
      { cwd: root, env: { PATH: process.env.PATH } },
    );
    expect(JSON.parse(stdout)).to.deep.include({ genuine: true, state: "sealed", keyChecked: false });
  });
});
