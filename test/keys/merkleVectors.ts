// The OpenZeppelin-computed vectors of test/vectors/merkle.json, typed, with the leaf values
// the project's functions take.
import type { Hex } from "viem";
import type { LeafValues } from "../../core/keys/leaf.ts";
import { readVectors } from "../vectors/readVectors.ts";

export type LeafTupleJson = [string, Hex, string, string, string, Hex];
export type TreeVector = {
  count: number;
  keys: { salt: Hex; secret: string }[];
  leaves: LeafTupleJson[];
  leafHashes: Hex[];
  root: Hex;
  tree: Hex[];
  proofs: Hex[][];
  multiProof: { indexes: number[]; leaves: LeafTupleJson[]; proof: Hex[]; proofFlags: boolean[] };
};
export type MerkleVectors = {
  commitments: { salt: Hex; secret: string; commitment: Hex }[];
  edgeLeaves: { leaf: LeafTupleJson; leafHash: Hex }[];
  trees: TreeVector[];
};

export const merkleVectors = readVectors<MerkleVectors>("merkle.json");

export function leafValues(tuple: LeafTupleJson): LeafValues {
  return {
    chainId: BigInt(tuple[0]),
    registry: tuple[1],
    shopId: BigInt(tuple[2]),
    batchId: BigInt(tuple[3]),
    leafIndex: Number(tuple[4]),
    commitment: tuple[5],
  };
}
