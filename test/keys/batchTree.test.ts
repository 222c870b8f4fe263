import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { toHex, type Hex } from "viem";
import { buildTreeNodes, commitmentBytes, leafHashBytes, proofOf } from "../../core/keys/batchMerkle.ts";
import { createBatchTreeCache, loadBatchTree } from "../../api/keys/batchTree.ts";
import { buildBatchTree, commitmentOf, leafEncoding, leafHash, type LeafValues } from "../../core/keys/leaf.ts";
import { sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createTestShop, importTestKeys, makeSecrets, testRing } from "./fixtures.ts";

function randomLeaves(count: number, seed: { shopId: bigint; batchId: bigint }): LeafValues[] {
  return Array.from({ length: count }, (_, leafIndex) => ({
    chainId: 31337n,
    registry: toHex(randomBytes(20)),
    shopId: seed.shopId,
    batchId: seed.batchId,
    leafIndex,
    commitment: toHex(randomBytes(32)),
  }));
}

describe("keys: batch Merkle tree", () => {
  let database: TestDatabase;
  const ring = testRing();

  before(async () => {
    database = await createServerDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  it("hashes commitments and leaves exactly as leaf.ts and builds the same tree as @openzeppelin/merkle-tree", async () => {
    for (const count of [1, 2, 3, 7, 8, 33, 257]) {
      const leaves = randomLeaves(count, { shopId: 2n ** 63n + 5n, batchId: BigInt(count) });
      const salt = randomBytes(32);
      expect(toHex(commitmentBytes(salt, `K-${count}-密`))).to.equal(commitmentOf(salt, `K-${count}-密`));
      const hashes = leaves.map((leaf) => leafHashBytes(leaf));
      hashes.forEach((hash, index) => {
        expect(toHex(hash)).to.equal(leafHash(leaves[index]!));
      });
      const nodes = await buildTreeNodes(hashes);
      const reference = buildBatchTree(leaves);
      expect(nodes.map((node) => toHex(node))).to.deep.equal(reference.dump().tree);
      leaves.forEach((_, index) => {
        expect(proofOf(nodes, count, index).map((node) => toHex(node))).to.deep.equal(reference.getProof(index));
      });
    }
  });

  it("builds the same tree in slices, giving the event loop back while it builds", async () => {
    const leaves = randomLeaves(3000, { shopId: 9n, batchId: 9n });
    let turns = 0;
    const timer = setInterval(() => (turns += 1), 0);
    const nodes = await buildTreeNodes(
      leaves.map((leaf) => leafHashBytes(leaf)),
      256,
    );
    clearInterval(timer);
    expect(nodes.map((node) => toHex(node))).to.deep.equal(buildBatchTree(leaves).dump().tree);
    // 2,999 inner nodes in slices of 256: the loop ran between them.
    expect(turns).to.be.at.least(1);
  });

  it("rebuilds an imported batch's tree from the database: same root, proofs and multiproofs", async () => {
    const shop = await createTestShop(database.db, ring);
    const { batchId } = await importTestKeys(database.db, ring, shop, makeSecrets(300));
    const cache = createBatchTreeCache(500);
    const tree = await loadBatchTree(database.db, batchId, cache);
    expect(await loadBatchTree(database.db, batchId, cache)).to.equal(tree);
    const root = (await database.db.execute(sql`SELECT root FROM batches WHERE id = ${batchId}`)) as unknown as { rows: { root: Uint8Array }[] };
    expect(tree.root).to.equal(toHex(root.rows[0]!.root));
    expect(tree.length).to.equal(300);
    const multiproof = tree.getMultiProof([0, 1, 2, 150, 299]);
    expect(StandardMerkleTree.verifyMultiProof(tree.root as Hex, [...leafEncoding], multiproof)).to.equal(true);
    // The issuance fast path (no per-leaf re-hash) gives exactly the library's multiproof.
    for (const indexes of [[0], [299, 0, 150, 1, 2], Array.from({ length: 100 }, (_, i) => i + 37), [7, 8, 9, 200, 201, 13]]) {
      expect(tree.multiProofOf(indexes)).to.deep.equal(tree.getMultiProof(indexes));
    }
    expect(() => tree.multiProofOf([300])).to.throw(/not in this tree/);
    expect(StandardMerkleTree.verify(tree.root as Hex, [...leafEncoding], tree.at(42)!, tree.getProof(42))).to.equal(true);
    // Bounded: a second 300-leaf batch pushes the first out of a 500-leaf cache.
    const other = await importTestKeys(database.db, ring, shop, makeSecrets(300));
    await loadBatchTree(database.db, other.batchId, cache);
    expect([...cache.trees.keys()]).to.deep.equal([other.batchId]);
    expect(cache.leaves).to.equal(300);
  });

  it("takes over the tree an import has just built, equal to the one the store rebuilds, within the cache's bound", async () => {
    const shop = await createTestShop(database.db, ring);
    const cache = createBatchTreeCache(500);
    const { batchId } = await importTestKeys(database.db, ring, shop, makeSecrets(200), { treeCache: cache });
    const handedOver = cache.trees.get(batchId);
    expect(handedOver, "the import put its tree in the cache").to.not.equal(undefined);
    expect(cache.leaves).to.equal(200);
    // loadBatchTree answers from the cache, and the tree is exactly what the store reproduces.
    expect(await loadBatchTree(database.db, batchId, cache)).to.equal(handedOver);
    const rebuilt = await loadBatchTree(database.db, batchId, createBatchTreeCache());
    expect(handedOver!.dump()).to.deep.equal(rebuilt.dump());
    expect(handedOver!.multiProofOf([0, 17, 199])).to.deep.equal(rebuilt.multiProofOf([0, 17, 199]));
    // A batch larger than the whole cache is not kept, and pushes nothing out.
    const large = await importTestKeys(database.db, ring, shop, makeSecrets(501), { treeCache: cache });
    expect(cache.trees.has(large.batchId)).to.equal(false);
    expect([...cache.trees.keys()]).to.deep.equal([batchId]);
    expect(cache.leaves).to.equal(200);
  });

  it("refuses a batch whose stored leaves no longer reproduce its root", async () => {
    const shop = await createTestShop(database.db, ring);
    const { batchId } = await importTestKeys(database.db, ring, shop, makeSecrets(10));
    await database.db.execute(sql`UPDATE keys SET leaf_hash = ${randomBytes(32)} WHERE batch_id = ${batchId} AND leaf_index = 3`);
    let caught: Error | undefined;
    try {
      await loadBatchTree(database.db, batchId, createBatchTreeCache());
    } catch (error) {
      caught = error as Error;
    }
    expect(caught?.message).to.match(/do not reproduce its root/);
  });
});
