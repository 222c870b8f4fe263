import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256, toBytes, type Hex } from "viem";
import { buildIssueCall, issueArgs, packProofFlags } from "../../api/chain/issuanceCall.ts";
import { buildBatchTree, leafHash, type LeafValues } from "../../core/keys/leaf.ts";
import { AppError } from "../../core/errors.ts";

const registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Hex;
const leaves: LeafValues[] = Array.from({ length: 50 }, (_, leafIndex) => ({
  chainId: 31337n,
  registry,
  shopId: 3n,
  batchId: 8n,
  leafIndex,
  commitment: keccak256(toBytes(`commitment-${leafIndex}`)),
}));
const tree = buildBatchTree(leaves);

function unpackProofFlags(words: bigint[], count: number): boolean[] {
  return Array.from({ length: count }, (_, i) => ((words[i >> 8]! >> BigInt(i & 255)) & 1n) === 1n);
}

describe("buildIssueCall", () => {
  it("packs flag i as bit i % 256 of word i / 256", () => {
    const flags = Array.from({ length: 300 }, (_, i) => i % 3 === 0 || i === 299);
    const words = packProofFlags(flags);
    expect(words).to.have.length(2);
    expect(words[0]! & 1n).to.equal(1n);
    expect((words[1]! >> 43n) & 1n).to.equal(1n); // flag 299
    expect(unpackProofFlags(words, 300)).to.deep.equal(flags);
    expect(packProofFlags([])).to.deep.equal([]);
  });

  it("returns the multiproof's leaves in its order, with the batch's shop and batch ids", () => {
    const call = buildIssueCall(tree, [40, 2, 17, 3]);
    expect(call.shopId).to.equal(3n);
    expect(call.batchId).to.equal(8n);
    expect([...call.leafIndexes].sort((a, b) => a - b)).to.deep.equal([2, 3, 17, 40]);
    call.leafIndexes.forEach((leafIndex, i) => {
      expect(call.commitments[i]).to.equal(leaves[leafIndex]!.commitment);
    });
    // The library's own verifier accepts the proof once the flags are unpacked again.
    const proofFlags = unpackProofFlags(call.proofFlags, call.leafIndexes.length + call.proof.length - 1);
    const multiProof = { leaves: call.leafIndexes.map((i) => tree.at(i)!), proof: call.proof, proofFlags };
    expect(tree.verifyMultiProof(multiProof)).to.equal(true);
    expect(StandardMerkleTree.verifyMultiProof(tree.root, ["uint256", "address", "uint64", "uint64", "uint32", "bytes32"], multiProof)).to.equal(true);
    // And the leaves are the ones core/keys/leaf.ts hashes (what the contract recomputes).
    expect(tree.leafHash(tree.at(call.leafIndexes[0]!)!)).to.equal(leafHash(leaves[call.leafIndexes[0]!]!));
    const to = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Hex;
    expect(issueArgs(call, to)).to.deep.equal([3n, 8n, to, call.leafIndexes, call.commitments, call.proof, call.proofFlags]);
  });

  it("refuses an empty list, duplicates and indexes not in the tree with AppError bad_request", () => {
    for (const indexes of [[], [4, 4], [50]]) {
      let caught: unknown;
      try {
        buildIssueCall(tree, indexes);
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(AppError);
      expect((caught as AppError).code).to.equal("bad_request");
    }
  });
});
