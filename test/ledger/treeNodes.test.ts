// The Merkle log's stored subtrees (api/ledger/treeNodes.ts) against this test's own RFC 9162
// hashing: every stored node, and every root and proof the ledger serves from them, for log
// sizes around the powers of two, after hasher passes of uneven sizes, and while a log chained
// before the nodes existed is caught up. Expected roots come from the MTH written below (not
// the code under test); proofs are checked with RFC 9162's verification algorithms, which share
// no code with the construction; and the rows a proof reads are counted.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { postOrderPayment } from "../../api/ledger/flows.ts";
import { hashPendingEntries } from "../../api/ledger/hasher.ts";
import { verifyConsistency, verifyInclusion } from "../../api/ledger/merkleLog.ts";
import { getConsistencyProof, getInclusionProof } from "../../api/ledger/proofs.ts";
import { coveredSize, extendTreeNodes, storedTreeRoot, withStoredSubtrees } from "../../api/ledger/treeNodes.ts";
import { inclusionPath, consistencyPath } from "../../api/ledger/merkleLog.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest();
};
// RFC 9162 section 2.1.1, written out here: MTH({}) = SHA-256(), MTH({d}) = SHA-256(0x00 || d),
// MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) with k the largest power of two < n.
function mth(leaves: Buffer[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 0) return sha256();
  if (n === 1) return leaves[from]!;
  let k = 1;
  while (k * 2 < n) k *= 2;
  return sha256(Buffer.from([1]), mth(leaves, from, from + k), mth(leaves, from + k, to));
}
const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

const entries = 300;
const sizes = [...Array.from({ length: 40 }, (_, index) => index + 1), 47, 48, 49, 63, 64, 65, 127, 128, 129, 255, 256, 257, 299, 300];

describe("stored subtrees of the ledger's Merkle log", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let leaves: Buffer[];

  before(async () => {
    database = await createServerDatabase();
    const shop = await queryOne<{ id: bigint }>(
      database.db,
      sql`WITH a AS (INSERT INTO accounts (email, password_hash, roles) VALUES ('tree@ledger.test', 'x', ARRAY['merchant']) RETURNING id)
          INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id) SELECT id, 'tree-shop', 'Tree', '\\x00', 'k1' FROM a RETURNING id`,
    );
    for (let index = 0; index < entries; index++) {
      await postOrderPayment(database.db, {
        orderId: `tree-${index}`,
        shopId: shop!.id,
        amountMinor: 100n + BigInt(index),
        currency: "CNY",
        provider: "chain",
        platformFeeBps: 500,
      });
    }
    // Passes of uneven sizes: nodes complete in the middle of a pass, at its end, or across two.
    const passSizes = [1, 7, 16, 33, 5, 50, 17];
    for (let pass = 0; (await hashPendingEntries(database.db, { batchSizeMax: passSizes[pass % passSizes.length]! })).hashed > 0; pass++);
    const rows = await queryRows<{ chain_hash: Buffer }>(database.db, sql`SELECT chain_hash FROM ledger_chain ORDER BY seq`);
    expect(rows.length).to.equal(entries);
    leaves = rows.map((row) => sha256(Buffer.from([0]), row.chain_hash));
  });
  after(async () => {
    await database?.drop();
  });

  /** Every stored node equals MTH of its range, and exactly the complete ones of 16 leaves and up are there. */
  async function expectNodesOf(size: number): Promise<void> {
    const stored = await queryRows<{ level: number; idx: bigint; hash: Buffer }>(
      database.db,
      sql`SELECT level, idx, hash FROM ledger_tree_nodes ORDER BY level, idx`,
    );
    const expected: string[] = [];
    for (let level = 4; 2 ** level <= size; level++) for (let index = 0; (index + 1) * 2 ** level <= size; index++) expected.push(`${level}:${index}`);
    expect(stored.map((row) => `${row.level}:${row.idx}`)).to.deep.equal(expected);
    for (const row of stored) {
      const width = 2 ** row.level;
      const from = Number(row.idx) * width;
      expect(hex(row.hash), `node ${row.level}:${row.idx}`).to.equal(hex(mth(leaves, from, from + width)));
    }
  }

  it("stores every complete subtree of 16 leaves and up, each equal to MTH of its leaves, through uneven hasher passes", async () => {
    await expectNodesOf(entries);
    expect(await coveredSize(database.db)).to.equal(Math.floor(entries / 16) * 16);
  });

  it("serves roots and inclusion proofs that match MTH and verify, for sizes around the powers of two", async () => {
    const ids = await queryRows<{ seq: bigint; tx_id: bigint }>(database.db, sql`SELECT seq, tx_id FROM ledger_chain ORDER BY seq`);
    for (const size of sizes) {
      const root = mth(leaves, 0, size);
      expect(hex(await storedTreeRoot(database.db, BigInt(size))), `root of ${size}`).to.equal(hex(root));
      for (const index of new Set([0, size - 1, Math.floor(size / 2), 15, 16, 17].filter((index) => index < size))) {
        const proof = await getInclusionProof(database.db, { transactionId: ids[index]!.tx_id, treeSize: BigInt(size) });
        expect(proof.root).to.equal(hex(root));
        expect(proof.leafHash).to.equal(hex(leaves[index]!));
        const path = proof.path.map((node) => Buffer.from(node.slice(2), "hex"));
        expect(verifyInclusion(index, size, leaves[index]!, path, root), `leaf ${index} of ${size}`).to.equal(true);
        // The same path does not prove another leaf.
        expect(verifyInclusion(index, size, leaves[(index + 1) % entries]!, path, root)).to.equal(false);
      }
    }
  });

  it("serves consistency proofs that verify between any two sizes", async () => {
    for (const second of sizes) {
      for (const first of new Set([1, 2, 15, 16, 17, 31, 64, second - 1, second].filter((first) => first >= 1 && first <= second))) {
        const proof = await getConsistencyProof(database.db, { firstSize: BigInt(first), secondSize: BigInt(second) });
        expect(proof.firstRoot).to.equal(hex(mth(leaves, 0, first)));
        expect(proof.secondRoot).to.equal(hex(mth(leaves, 0, second)));
        const nodes = proof.proof.map((node) => Buffer.from(node.slice(2), "hex"));
        expect(verifyConsistency(first, second, mth(leaves, 0, first), mth(leaves, 0, second), nodes), `${first} → ${second}`).to.equal(true);
      }
    }
  });

  it("reads a bounded number of rows per proof: two statements, log-many nodes, at most three partial blocks of leaves", async () => {
    const size = entries;
    const { reads } = await withStoredSubtrees(database.db, size, (subtree) => ({
      root: subtree(0, size),
      inclusion: inclusionPath(subtree, 137, size),
      consistency: consistencyPath(subtree, 201, size),
    }));
    expect(reads.queries).to.equal(2);
    // A range of a stored node's width that is not aligned to it is not that node.
    const unaligned = await withStoredSubtrees(database.db, size, (subtree) => [subtree(8, 24), subtree(40, 104)]);
    expect(unaligned.value.map(hex)).to.deep.equal([hex(mth(leaves, 8, 24)), hex(mth(leaves, 40, 104))]);
    expect(reads.nodes).to.be.at.most(3 * Math.ceil(Math.log2(size)));
    // The proven leaf's block of 16, the partial block at each of the two sizes' ends.
    expect(reads.leaves).to.be.at.most(16 + 15 + 15);
  });

  it("stays right while a log chained before the nodes existed is caught up, then stores the same nodes", async () => {
    // The state of a database migrated to 0330 with a log already chained: no nodes at all.
    await database.db.execute(sql`ALTER TABLE ledger_tree_nodes DISABLE TRIGGER ledger_tree_nodes_append_only`);
    await database.db.execute(sql`DELETE FROM ledger_tree_nodes`);
    await database.db.execute(sql`ALTER TABLE ledger_tree_nodes ENABLE TRIGGER ledger_tree_nodes_append_only`);
    expect(await coveredSize(database.db)).to.equal(0);
    const bare = await withStoredSubtrees(database.db, entries, (subtree) => subtree(0, entries));
    expect(hex(bare.value)).to.equal(hex(mth(leaves, 0, entries)));
    expect(bare.reads.leaves).to.equal(entries);
    // Caught up 40 leaves a step (not a multiple of 16): proofs are right at every step.
    for (let step = 0; (await coveredSize(database.db)) < Math.floor(entries / 16) * 16; step++) {
      expect(step).to.be.below(20);
      await extendTreeNodes(database.db, entries, 40);
      const proof = await getConsistencyProof(database.db, { firstSize: 100n, secondSize: BigInt(entries) });
      const nodes = proof.proof.map((node) => Buffer.from(node.slice(2), "hex"));
      expect(verifyConsistency(100, entries, mth(leaves, 0, 100), mth(leaves, 0, entries), nodes)).to.equal(true);
    }
    await expectNodesOf(entries);
    // The hasher's idle pass extends nothing more, and the nodes cannot be rewritten.
    await hashPendingEntries(database.db, { batchSizeMax: 10 });
    await expectNodesOf(entries);
    let refused: unknown;
    try {
      await database.db.execute(sql`UPDATE ledger_tree_nodes SET hash = hash WHERE level = 4 AND idx = 0`);
    } catch (error) {
      refused = error;
    }
    expect(refused, "an update of a stored node").to.be.instanceOf(Error);
  });
});
