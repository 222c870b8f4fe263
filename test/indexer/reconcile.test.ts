// Platform consequences and reconciliation on a real chain: an anchored batch and issued
// entitlements become 'confirmed' once final, with their token ids; reconciliation of the
// untouched database finds nothing; a sold key's row or a batch root changed directly in the
// database is reported.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { toHex, type Hex } from "viem";
import { buildBatchTree, commitmentOf, leafHash, type LeafValues } from "../../api/keys/leaf.ts";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { reconcile } from "../../indexer/reconcile/reconcile.ts";
import { openSession, type SqlSession } from "../../indexer/store/session.ts";
import { deployEmitters, type EmitterSet } from "./support/emitter.ts";
import { runUntilHead, testOptions } from "./support/harness.ts";

describe("indexer: platform consequences and reconciliation", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let database: TestDatabase;
  let emitters: EmitterSet;
  let session: SqlSession;
  let chainId: number;
  const keyIds: bigint[] = [];
  let batchId: bigint;

  before(async () => {
    [chain, database] = await Promise.all([startChain(), createServerDatabase({ poolSizeMax: 3 })]);
    emitters = await deployEmitters(chain.rpcUrl);
    chainId = await emitters.publicClient.getChainId();
    session = await openSession(database);
    const one = async <R>(text: string, params: unknown[] = []) => (await session.query<R>(text, params)).rows[0]!;
    const account = await one<{ id: bigint }>("INSERT INTO accounts (email, password_hash, roles) VALUES ('m@example.test', 'x', ARRAY['merchant','buyer']) RETURNING id");
    const shop = await one<{ id: bigint }>("INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id) VALUES ($1, 'shop-a', 'Shop', '\\x00', 'k1') RETURNING id", [account.id]);
    const product = await one<{ id: bigint }>("INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES ($1, 'Card', 'game_card', 1000, 'CNY') RETURNING id", [shop.id]);
    const batch = await one<{ id: bigint }>("INSERT INTO batches (shop_id, product_id, key_count, anchor_state) VALUES ($1, $2, 4, 'submitted') RETURNING id", [shop.id, product.id]);
    batchId = BigInt(batch.id);
    const salts = Array.from({ length: 4 }, () => randomBytes(32));
    const leaves: LeafValues[] = salts.map((salt, leafIndex) => ({
      chainId: BigInt(chainId), registry: emitters.registry, shopId: BigInt(shop.id), batchId, leafIndex, commitment: commitmentOf(salt, `SECRET-${leafIndex}`),
    }));
    const tree = buildBatchTree(leaves);
    await session.query("UPDATE batches SET root = decode($1, 'hex') WHERE id = $2", [tree.root.slice(2), batchId]);
    await session.query("INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at) VALUES ('ord_a', $1, $2, $3, 2, 1000, 2000, 'CNY', 'fulfilled', now())", [shop.id, product.id, account.id]);
    for (const [index, leaf] of leaves.entries()) {
      const sold = index < 2;
      const key = await one<{ id: bigint }>(
        `INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id)
         VALUES ($1, $2, $3, $4, '\\x01', $5, $6, $7, $8, $9::bytea[], $10, $11) RETURNING id`,
        [shop.id, product.id, batchId, index, randomBytes(32), salts[index], Buffer.from(leaf.commitment.slice(2), "hex"), Buffer.from(leafHash(leaf).slice(2), "hex"),
          tree.getProof(index).map((node) => Buffer.from(node.slice(2), "hex")), sold ? "sold" : "available", sold ? "ord_a" : null],
      );
      keyIds.push(BigInt(key.id));
      if (sold) {
        await session.query("INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id, issue_state) VALUES ($1, 'ord_a', $2, $3, $4, $5, 'submitted')", [key.id, shop.id, product.id, batchId, account.id]);
      }
    }
    await emitters.send(emitters.registry, "anchor", [batchId, BigInt(shop.id), tree.root, 4]);
    // Token 7 for leaf 1 and token 8 for leaf 0: ids follow the event, not the key order.
    await emitters.send(emitters.entitlement, "issue", [batchId, 7n, emitters.account, [1, 0]]);
    await emitters.send(emitters.entitlement, "lock", [8n]);
    for (let block = 0; block < 9; block++) await emitters.publicClient.request({ method: "evm_mine" } as never);
    await runUntilHead({ database, chainId, rpcUrl: chain.rpcUrl, emitters, options: testOptions({ deploymentBlock: emitters.deploymentBlock, finalityDepth: 8 }), custodianAddress: emitters.account });
  });
  after(async () => {
    await session?.close();
    await database?.drop();
    await chain?.stop();
  });

  it("confirms the final anchor and issuance, with token ids mapped through leafIndexes, and the redemption", async () => {
    const batch = (await session.query<{ anchor_state: string; anchor_tx: string }>("SELECT anchor_state, anchor_tx FROM batches WHERE id = $1", [batchId])).rows[0]!;
    expect(batch.anchor_state).to.equal("confirmed");
    expect(batch.anchor_tx).to.match(/^0x[0-9a-f]{64}$/);
    const { rows } = await session.query<{ key_id: bigint; token_id: string; issue_state: string; state: string; redeem_state: string | null; owner_wallet: string | null }>(
      "SELECT key_id, token_id::text, issue_state, state, redeem_state, owner_wallet FROM entitlements ORDER BY key_id",
    );
    expect(rows.map((row) => [row.key_id, row.token_id, row.issue_state, row.state, row.redeem_state, row.owner_wallet])).to.deep.equal([
      [keyIds[0], "8", "confirmed", "redeemed", "confirmed", null],
      [keyIds[1], "7", "confirmed", "sealed", null, null],
    ]);
  });

  it("finds nothing when the database matches the chain", async () => {
    const { findings } = await reconcile(session, { chainId, registryAddress: emitters.registry, redemptionGraceSeconds: 600 });
    expect(findings).to.deep.equal([]);
  });

  it("reports a sold key's row changed in the database", async () => {
    await session.query("UPDATE keys SET commitment = $1 WHERE id = $2", [randomBytes(32), keyIds[1]]);
    const { findings, runId } = await reconcile(session, { chainId, registryAddress: emitters.registry, redemptionGraceSeconds: 600 });
    expect(findings.map((finding) => [finding.kind, finding.subject, finding.subjectId])).to.deep.equal([["mismatch", "key", String(keyIds[1])]]);
    const stored = await session.query<{ kind: string }>("SELECT kind FROM reconciliation_findings WHERE run_id = $1", [runId]);
    expect(stored.rows.map((row) => row.kind)).to.deep.equal(["mismatch"]);
  });

  it("reports a batch root changed in the database (and every sold key of it)", async () => {
    const fakeRoot: Hex = toHex(randomBytes(32));
    await session.query("UPDATE batches SET root = decode($1, 'hex') WHERE id = $2", [fakeRoot.slice(2), batchId]);
    const { findings } = await reconcile(session, { chainId, registryAddress: emitters.registry, redemptionGraceSeconds: 600 });
    const batchFinding = findings.find((finding) => finding.subject === "batch");
    expect(batchFinding?.kind).to.equal("mismatch");
    expect((batchFinding?.details.root as { database: string }).database).to.equal(fakeRoot);
  });
});
