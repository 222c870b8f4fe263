// The key commitment and Merkle leaf: a public interface (docs/certificate.md), shared by the
// importer, the contracts (contracts/EntitlementToken.sol recomputes the leaf on-chain), the
// certificate and every verifier. Changing anything here breaks every issued certificate.
//
// commitment = keccak256(abi.encodePacked(bytes32 salt, bytes secretUtf8))
//   The random 32-byte salt makes short codes impossible to brute-force from the commitment.
// leaf values = (uint256 chainId, address registry, uint64 shopId, uint64 batchId,
//                uint32 leafIndex, bytes32 commitment)
//   Binding chain, registry contract, shop and batch is the domain separation: a proof for one
//   shop, batch, chain or deployment never verifies for another.
// leaf hash = keccak256(bytes.concat(keccak256(abi.encode(values))))   (OpenZeppelin standard)
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { concat, encodeAbiParameters, hexToBytes, keccak256, toBytes, toHex, type Hex } from "viem";

export const leafEncoding = ["uint256", "address", "uint64", "uint64", "uint32", "bytes32"] as const;
export const leafFieldNames = ["chainId", "registry", "shopId", "batchId", "leafIndex", "commitment"] as const;

export type LeafValues = {
  chainId: bigint;
  registry: Hex;
  shopId: bigint;
  batchId: bigint;
  leafIndex: number;
  commitment: Hex;
};

export type LeafTuple = [string, string, string, string, string, string];

export function commitmentOf(salt: Uint8Array | Hex, secret: string): Hex {
  return keccak256(concat([typeof salt === "string" ? salt : toHex(salt), toHex(toBytes(secret))]));
}

export function leafTuple(values: LeafValues): LeafTuple {
  return [values.chainId.toString(), values.registry, values.shopId.toString(), values.batchId.toString(), values.leafIndex.toString(), values.commitment];
}

export function leafHash(values: LeafValues): Hex {
  const encoded = encodeAbiParameters(
    leafEncoding.map((type) => ({ type })),
    [values.chainId, values.registry, values.shopId, values.batchId, values.leafIndex, values.commitment],
  );
  return keccak256(keccak256(encoded));
}

/**
 * Builds the batch tree in import order. `sortLeaves: false` keeps consecutive keys next to
 * each other, so a multiproof for keys sold in import order needs few hashes (8 instead of
 * 257 for 100 consecutive leaves of 1,000, measured).
 */
export function buildBatchTree(leaves: LeafValues[]): StandardMerkleTree<LeafTuple> {
  return StandardMerkleTree.of(leaves.map(leafTuple), [...leafEncoding], { sortLeaves: false });
}

/** Bytes per leaf index in an EntitlementsIssued event (uint32, contracts/EntitlementToken.sol). */
export const packedLeafIndexBytes = 4;

/**
 * The leaf indexes an EntitlementsIssued event packs: big-endian uint32 each, in token id order
 * (token firstTokenId + i is leaf i of the result). DataView, not Buffer: the certificate
 * verifier also runs in browsers (web/src/verify/verifyInBrowser.ts). With `count` (the
 * event's token count) anything but exactly `count` indexes is refused, since a malformed event
 * must not map tokens to the wrong leaves.
 */
export function unpackLeafIndexes(packed: Hex, count?: number): number[] {
  const bytes = hexToBytes(packed);
  if (count !== undefined && bytes.length !== count * packedLeafIndexBytes) {
    throw new Error(`leafIndexes has ${bytes.length} bytes for ${count} tokens: expected ${packedLeafIndexBytes} bytes per token`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const leafIndexes: number[] = [];
  for (let offset = 0; offset + packedLeafIndexBytes <= bytes.length; offset += packedLeafIndexBytes) leafIndexes.push(view.getUint32(offset, false));
  return leafIndexes;
}
