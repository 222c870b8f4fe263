// The byte-level batch tree (core/keys/batchMerkle.ts) against vectors computed by
// @openzeppelin/merkle-tree itself (test/vectors/merkle.ts): leaf hashes, every node, proofs
// at both ends, processProof, and the prebuilt tree's multiproofs. Pure: no database.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { hexToBytes, toHex, type Hex } from "viem";
import {
  batchLeafHashes,
  buildTreeNodes,
  commitmentBytes,
  leafHashBytes,
  mapInSlices,
  proofOf,
  proofRoot,
  standardTreeFromNodes,
} from "../../core/keys/batchMerkle.ts";
import { leafEncoding } from "../../core/keys/leaf.ts";
import { leafValues, merkleVectors, type TreeVector } from "./merkleVectors.ts";

async function nodesOf(vector: TreeVector): Promise<Uint8Array[]> {
  return buildTreeNodes(vector.leafHashes.map((hash) => hexToBytes(hash)));
}

const hex = (nodes: readonly Uint8Array[]): Hex[] => nodes.map((node) => toHex(node));

async function rejection(action: () => unknown): Promise<Error> {
  try {
    await action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a refusal");
}

describe("keys: byte-level batch tree (known answers from @openzeppelin/merkle-tree)", () => {
  it("commits and hashes leaves as OpenZeppelin does", () => {
    for (const { salt, secret, commitment } of merkleVectors.commitments) {
      expect(toHex(commitmentBytes(hexToBytes(salt), secret))).to.equal(commitment);
    }
    for (const { leaf, leafHash } of merkleVectors.edgeLeaves) expect(toHex(leafHashBytes(leafValues(leaf)))).to.equal(leafHash);
    for (const vector of merkleVectors.trees) {
      vector.leaves.forEach((leaf, index) => {
        expect(toHex(leafHashBytes(leafValues(leaf)))).to.equal(vector.leafHashes[index]);
      });
    }
  });

  it("hashes a whole batch's leaves from its commitments as leaf by leaf (vectors' trees, and 300 leaves)", () => {
    for (const vector of merkleVectors.trees) {
      const leaves = vector.leaves.map(leafValues);
      // A vector tree is one batch when its leaves share the batch's words and count 0, 1, 2, …
      if (!leaves.every((leaf, index) => leaf.leafIndex === index && leaf.batchId === leaves[0]!.batchId && leaf.shopId === leaves[0]!.shopId)) continue;
      expect(
        hex(
          batchLeafHashes(
            leaves[0]!,
            leaves.map((leaf) => hexToBytes(leaf.commitment)),
          ),
        ),
      ).to.deep.equal(vector.leafHashes);
    }
    const batch = { ...leafValues(merkleVectors.edgeLeaves[0]!.leaf), batchId: 2n ** 64n + 7n };
    const commitments = Array.from({ length: 300 }, (_, index) => commitmentBytes(new Uint8Array(32).fill(index % 256), `key-${index}`));
    const expected = commitments.map((commitment, leafIndex) => toHex(leafHashBytes({ ...batch, leafIndex, commitment: toHex(commitment) })));
    expect(hex(batchLeafHashes(batch, commitments))).to.deep.equal(expected);
    expect(() => batchLeafHashes(batch, [new Uint8Array(31)])).to.throw("A commitment is 32 bytes.");
  });

  it("refuses leaf values that do not fit their ABI types", () => {
    const leaf = leafValues(merkleVectors.edgeLeaves[0]!.leaf);
    expect(() => leafHashBytes({ ...leaf, chainId: -1n })).to.throw("A uint256 value is out of range.");
    expect(() => leafHashBytes({ ...leaf, chainId: 2n ** 256n })).to.throw("A uint256 value is out of range.");
    expect(() => leafHashBytes({ ...leaf, registry: "0x5FbDB2315678afecb367f032d93F642f64180a" })).to.throw("Expected 20 bytes of hex.");
    expect(() => leafHashBytes({ ...leaf, registry: `${leaf.registry}00` as Hex })).to.throw("Expected 20 bytes of hex.");
    // Odd-length hex that Buffer would silently cut to 20 bytes.
    expect(() => leafHashBytes({ ...leaf, registry: `${leaf.registry}0` as Hex })).to.throw("Expected 20 bytes of hex.");
    expect(() => leafHashBytes({ ...leaf, commitment: leaf.commitment.slice(0, 64) as Hex })).to.throw("Expected 32 bytes of hex.");
    // Right length, but not hex: Buffer would silently read nothing.
    expect(() => leafHashBytes({ ...leaf, registry: `0x${"zz".repeat(20)}` })).to.throw("Expected 20 bytes of hex.");
    expect(() => leafHashBytes({ ...leaf, commitment: `0x${"0g".repeat(32)}` })).to.throw("Expected 32 bytes of hex.");
  });

  it("builds every node of StandardMerkleTree's layout, in slices or in one go", async () => {
    for (const vector of merkleVectors.trees) {
      expect(hex(await nodesOf(vector))).to.deep.equal(vector.tree);
      const hashes = vector.leafHashes.map((hash) => hexToBytes(hash));
      expect(hex(await buildTreeNodes(hashes, 1))).to.deep.equal(vector.tree);
    }
  });

  it("gives the event loop back every sliceSize hashes, and not otherwise", async () => {
    const vector = merkleVectors.trees.at(-1)!;
    const hashes = vector.leafHashes.map((hash) => hexToBytes(hash));
    // Counts the turns another setImmediate callback gets while the tree is built.
    async function turnsWhile(build: () => Promise<unknown>): Promise<number> {
      let turns = 0;
      let running = true;
      const tick = () => {
        if (!running) return;
        turns += 1;
        setImmediate(tick);
      };
      setImmediate(tick);
      await build();
      running = false;
      return turns;
    }
    // 12 inner nodes: in slices of 4 the loop turns at least twice; in one slice of 1,024, never.
    expect(await turnsWhile(() => buildTreeNodes(hashes, 4))).to.be.at.least(2);
    expect(await turnsWhile(() => buildTreeNodes(hashes))).to.equal(0);
    expect(await turnsWhile(() => mapInSlices(hashes, (hash) => hash.length, 4))).to.be.at.least(2);
    expect(await turnsWhile(() => mapInSlices(hashes, (hash) => hash.length))).to.equal(0);
  });

  it("refuses an empty tree and a leaf hash that is not 32 bytes", async () => {
    expect((await rejection(() => buildTreeNodes([]))).message).to.equal("A batch tree needs at least one leaf.");
    const short = hexToBytes(merkleVectors.trees[1]!.leafHashes[0]!).subarray(1);
    expect((await rejection(() => buildTreeNodes([hexToBytes(merkleVectors.trees[1]!.leafHashes[1]!), short]))).message).to.equal("A leaf hash is 32 bytes.");
  });

  it("proves every leaf, the first and the last included, as OpenZeppelin does", async () => {
    for (const vector of merkleVectors.trees) {
      const nodes = await nodesOf(vector);
      for (let index = 0; index < vector.count; index++) {
        const proof = proofOf(nodes, vector.count, index);
        expect(hex(proof), `leaf ${index} of ${vector.count}`).to.deep.equal(vector.proofs[index]);
        expect(toHex(proofRoot(hexToBytes(vector.leafHashes[index]!), proof)!)).to.equal(vector.root);
      }
    }
  });

  it("refuses to prove an index before the first, past the last, or not an integer", async () => {
    for (const vector of merkleVectors.trees) {
      const nodes = await nodesOf(vector);
      for (const index of [-1, vector.count, vector.count + 1, 0.5, Number.NaN]) {
        expect(() => proofOf(nodes, vector.count, index), `index ${index} of ${vector.count}`).to.throw("Leaf index out of range.");
      }
    }
  });

  it("processProof: the root a leaf and its proof lead to, or undefined for a node that is not 32 bytes", () => {
    const vector = merkleVectors.trees.find((candidate) => candidate.count === 5)!;
    const leaf = hexToBytes(vector.leafHashes[2]!);
    const proof = vector.proofs[2]!.map((node) => hexToBytes(node));
    expect(toHex(proofRoot(leaf, proof)!)).to.equal(vector.root);
    // An empty proof leads to the leaf itself (a one-leaf tree's root is its leaf).
    const single = merkleVectors.trees[0]!;
    expect(toHex(proofRoot(hexToBytes(single.leafHashes[0]!), [])!)).to.equal(single.root);
    // Another leaf, or the proof's siblings in another order, lead elsewhere.
    expect(toHex(proofRoot(hexToBytes(vector.leafHashes[3]!), proof)!)).not.to.equal(vector.root);
    expect(toHex(proofRoot(leaf, [...proof].reverse())!)).not.to.equal(vector.root);
    expect(proofRoot(leaf.subarray(1), proof)).to.equal(undefined);
    expect(proofRoot(new Uint8Array(33), proof)).to.equal(undefined);
    expect(proofRoot(leaf, [...proof.slice(0, -1), proof.at(-1)!.subarray(1)])).to.equal(undefined);
    expect(proofRoot(leaf, [proof[0]!, new Uint8Array(64)])).to.equal(undefined);
  });

  it("rebuilds a StandardMerkleTree from the nodes: same dump, proofs and multiproofs", async () => {
    for (const vector of merkleVectors.trees) {
      const values = vector.leaves.map(leafValues);
      const tree = await standardTreeFromNodes(await nodesOf(vector), values);
      expect(tree.root).to.equal(vector.root);
      expect(tree.dump().tree).to.deep.equal(vector.tree);
      expect(tree.dump().values.map((entry) => entry.value)).to.deep.equal(vector.leaves);
      expect(tree.getProof(vector.count - 1)).to.deep.equal(vector.proofs[vector.count - 1]);
      const multiProof = tree.multiProofOf(vector.multiProof.indexes);
      expect(multiProof).to.deep.equal({ leaves: vector.multiProof.leaves, proof: vector.multiProof.proof, proofFlags: vector.multiProof.proofFlags });
      expect(StandardMerkleTree.verifyMultiProof(vector.root, [...leafEncoding], multiProof)).to.equal(true);
      expect(() => tree.multiProofOf([vector.count])).to.throw(`Leaf ${vector.count} is not in this tree.`);
    }
    const vector = merkleVectors.trees[2]!;
    const nodes = await nodesOf(vector);
    const error = await rejection(() => standardTreeFromNodes(nodes.slice(1), vector.leaves.map(leafValues)));
    expect(error.message).to.equal("Invariant: a tree of n leaves has 2n - 1 nodes.");
  });

  it("maps in slices, in order, with each item's index", async () => {
    const items = Array.from({ length: 10 }, (_, index) => index * 3);
    expect(await mapInSlices(items, (item, index) => `${index}:${item}`, 3)).to.deep.equal(items.map((item, index) => `${index}:${item}`));
    expect(await mapInSlices([], (item: number) => item)).to.deep.equal([]);
  });
});
