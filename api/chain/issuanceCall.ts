// Builds the arguments of EntitlementToken.issue(...) for some keys of one batch tree: one
// multiproof for all of them, leaves in the order the multiproof consumes them, flags packed
// as bits (contracts/libraries/PackedMultiProof.sol). Token firstTokenId + i is minted for
// leafIndexes[i] of the result, so callers map tokens to keys with this order, not theirs.
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Address, Hex } from "viem";
import { AppError } from "../../core/errors.ts";
import { PrebuiltStandardTree } from "../../core/keys/batchMerkle.ts";
import type { LeafTuple } from "../../core/keys/leaf.ts";

export type IssueCall = {
  shopId: bigint;
  batchId: bigint;
  /** Leaf indexes in multiproof order: token firstTokenId + i is leafIndexes[i]. */
  leafIndexes: number[];
  commitments: Hex[];
  proof: Hex[];
  /** Bit i of word i / 256 (least significant first) is the multiproof's flag i. */
  proofFlags: bigint[];
};

export type IssueArgs = readonly [bigint, bigint, Address, number[], Hex[], Hex[], bigint[]];

const leafIndexField = 4;
const shopIdField = 2;
const batchIdField = 3;
const commitmentField = 5;

/** Packs multiproof flags as the contract reads them: flag i is bit i % 256 of word i / 256. */
export function packProofFlags(flags: readonly boolean[]): bigint[] {
  const words = new Array<bigint>(Math.ceil(flags.length / 256)).fill(0n);
  flags.forEach((flag, i) => {
    if (flag) words[i >> 8] = words[i >> 8]! | (1n << BigInt(i & 255));
  });
  return words;
}

/**
 * The multiproof call for the keys at `leafIndexes` (the leaves' leafIndex values) of `tree`.
 * Throws AppError("bad_request") for an empty or duplicated list or an index not in the tree.
 */
export function buildIssueCall(tree: StandardMerkleTree<LeafTuple>, leafIndexes: number[]): IssueCall {
  if (leafIndexes.length === 0) throw new AppError("bad_request", "No keys to issue: leafIndexes is empty.");
  if (new Set(leafIndexes).size !== leafIndexes.length) {
    throw new AppError("bad_request", "Each key can be issued once per call: leafIndexes has duplicates.");
  }
  const positions = leafIndexes.map((leafIndex) => {
    const position = positionOf(tree, leafIndex);
    if (position === undefined) {
      throw new AppError("bad_request", `Leaf index ${leafIndex} is not in this batch's tree.`, {
        details: { leafIndex },
      });
    }
    return position;
  });
  const multiProof = tree instanceof PrebuiltStandardTree ? tree.multiProofOf(positions) : tree.getMultiProof(positions);
  const first = multiProof.leaves[0]!;
  return {
    shopId: BigInt(first[shopIdField]),
    batchId: BigInt(first[batchIdField]),
    leafIndexes: multiProof.leaves.map((leaf) => Number(leaf[leafIndexField])),
    commitments: multiProof.leaves.map((leaf) => leaf[commitmentField] as Hex),
    proof: multiProof.proof as Hex[],
    proofFlags: packProofFlags(multiProof.proofFlags),
  };
}

// A batch tree holds leaf k at position k (it is built in import order), so the lookup is
// direct; a tree built otherwise is indexed once (a 100,000-leaf scan per call cost more than
// the rest of an issuance).
const positionsByTree = new WeakMap<StandardMerkleTree<LeafTuple>, Map<number, number>>();

function positionOf(tree: StandardMerkleTree<LeafTuple>, leafIndex: number): number | undefined {
  if (Number.isInteger(leafIndex) && Number(tree.at(leafIndex)?.[leafIndexField]) === leafIndex) return leafIndex;
  let positions = positionsByTree.get(tree);
  if (!positions) {
    positions = new Map();
    for (const [position, value] of tree.entries()) positions.set(Number(value[leafIndexField]), position);
    positionsByTree.set(tree, positions);
  }
  return positions.get(leafIndex);
}

/** The `args` of `issue` for viem's writeContract / simulateContract. */
export function issueArgs(call: IssueCall, to: Address): IssueArgs {
  return [call.shopId, call.batchId, to, call.leafIndexes, call.commitments, call.proof, call.proofFlags];
}
