// Commitments, leaf hashes and the batch tree of core/keys/leaf.ts against vectors computed by
// @openzeppelin/merkle-tree itself (test/vectors/merkle.ts), and the packed leaf indexes of
// EntitlementsIssued against hand-written bytes.
import { expect } from "chai";
import { hexToBytes } from "viem";
import { buildBatchTree, commitmentOf, leafEncoding, leafFieldNames, leafHash, leafTuple, unpackLeafIndexes } from "../../core/keys/leaf.ts";
import { leafValues, merkleVectors } from "./merkleVectors.ts";

describe("keys: leaf and commitment (known answers from @openzeppelin/merkle-tree)", () => {
  it("commits to salt || key as OpenZeppelin's keccak256 does, from hex or bytes", () => {
    for (const { salt, secret, commitment } of merkleVectors.commitments) {
      expect(commitmentOf(salt, secret)).to.equal(commitment);
      expect(commitmentOf(hexToBytes(salt), secret)).to.equal(commitment);
    }
  });

  it("hashes leaves at the edges of every field's range", () => {
    expect([...leafEncoding]).to.deep.equal(["uint256", "address", "uint64", "uint64", "uint32", "bytes32"]);
    expect([...leafFieldNames]).to.deep.equal(["chainId", "registry", "shopId", "batchId", "leafIndex", "commitment"]);
    for (const { leaf, leafHash: expected } of merkleVectors.edgeLeaves) {
      expect(leafHash(leafValues(leaf))).to.equal(expected);
      expect(leafTuple(leafValues(leaf))).to.deep.equal(leaf);
    }
  });

  it("builds the same tree as StandardMerkleTree, leaves in import order", () => {
    for (const vector of merkleVectors.trees) {
      const values = vector.leaves.map(leafValues);
      values.forEach((value, index) => {
        expect(leafHash(value)).to.equal(vector.leafHashes[index]);
      });
      const tree = buildBatchTree(values);
      expect(tree.root).to.equal(vector.root);
      expect(tree.dump().tree).to.deep.equal(vector.tree);
      expect(tree.getProof(vector.count - 1)).to.deep.equal(vector.proofs[vector.count - 1]);
    }
  });

  it("unpacks big-endian uint32 leaf indexes, the last one included", () => {
    expect(unpackLeafIndexes("0x")).to.deep.equal([]);
    expect(unpackLeafIndexes("0x00000007")).to.deep.equal([7]);
    expect(unpackLeafIndexes("0x000000000000000100010000ffffffff")).to.deep.equal([0, 1, 65536, 4294967295]);
    expect(unpackLeafIndexes("0x0102030400000009")).to.deep.equal([16909060, 9]);
    // Bytes that do not fill a last uint32 are not an index.
    expect(unpackLeafIndexes("0x00000005000000")).to.deep.equal([5]);
    for (const count of [1, 2, 3, 100, 257]) {
      const indexes = Array.from({ length: count }, (_, index) => (index * 2654435761) % 2 ** 32);
      const packed = `0x${indexes.map((index) => index.toString(16).padStart(8, "0")).join("")}` as const;
      const unpacked = unpackLeafIndexes(packed);
      expect(unpacked).to.have.length(count);
      expect(unpacked[count - 1]).to.equal(indexes[count - 1]);
      expect(unpacked).to.deep.equal(indexes);
    }
  });
});
