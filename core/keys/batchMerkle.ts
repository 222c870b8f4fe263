// The batch Merkle tree computed on bytes, for speed: the same leaves, node hashes and array
// layout as @openzeppelin/merkle-tree's StandardMerkleTree built with `sortLeaves: false`
// (core/keys/leaf.ts `buildBatchTree`), which is the reference. The library hashes through
// hex strings and a generic ABI encoder and took 21 s for a 100,000-key batch here; this takes
// a few seconds. test/keys/batchMerkle.test.ts checks leaf for leaf and node for node that
// both produce the same tree, and imported proofs are checked with the library itself.
//
// Layout (OpenZeppelin core.makeMerkleTree): a complete binary tree in one array, root at 0,
// children of i at 2i+1 and 2i+2, leaf k (import order) at length - 1 - k; an inner node is
// keccak256 of its two children sorted as bytes (OpenZeppelin MerkleProof's commutative hash).
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getMultiProof, type MultiProof } from "@openzeppelin/merkle-tree/dist/core.js";
import { createKeccak } from "hash-wasm";
import { toHex, type Hex } from "viem";
import { leafEncoding, leafTuple, type LeafTuple, type LeafValues } from "./leaf.ts";

const wordBytes = 32;

// keccak256 through hash-wasm's WebAssembly Keccak, one hasher reused (init, update, digest
// run synchronously, so no two callers interleave): 2.2 µs a hash here against 10 for js-sha3
// and more for viem's (@noble/hashes), measured on the same loaded machine; an import hashes
// four times per key (commitment, the leaf's two, one inner node), which was two fifths of the
// importing process's CPU. test/keys/batchMerkle.test.ts and the vectors hold the results
// equal to viem's.
const keccak = await createKeccak(256);

function keccak256Bytes(data: Uint8Array): Uint8Array {
  return keccak.init().update(data).digest("binary");
}

/** keccak256(abi.encodePacked(bytes32 salt, bytes secretUtf8)): equal to leaf.ts commitmentOf. */
export function commitmentBytes(salt: Uint8Array, secret: string): Uint8Array {
  // hash-wasm encodes a string update as UTF-8: the packed bytes without building them.
  return keccak.init().update(salt).update(secret).digest("binary");
}

/** The OpenZeppelin standard leaf: keccak256(keccak256(abi.encode(values))); equal to leaf.ts leafHash. */
export function leafHashBytes(values: LeafValues): Uint8Array {
  // Every leaf field is a static ABI type, so abi.encode is six left-padded 32-byte words.
  const encoded = new Uint8Array(6 * wordBytes);
  writeUint(encoded, 0, values.chainId);
  encoded.set(hexBytes(values.registry, 20), wordBytes + 12);
  writeUint(encoded, 2 * wordBytes, values.shopId);
  writeUint(encoded, 3 * wordBytes, values.batchId);
  writeUint(encoded, 4 * wordBytes, BigInt(values.leafIndex));
  encoded.set(hexBytes(values.commitment, 32), 5 * wordBytes);
  return keccak256Bytes(keccak256Bytes(encoded));
}

/**
 * The leaf hashes of a whole batch (leafHashBytes of each leaf, in import order) from its
 * commitments: the four words every leaf of a batch shares are encoded once, and no leaf's
 * values or hex are built (those objects were 85 MB of a 100,000-key import's memory).
 */
export function batchLeafHashes(batch: Omit<LeafValues, "leafIndex" | "commitment">, commitments: readonly Uint8Array[]): Uint8Array[] {
  const encoded = new Uint8Array(6 * wordBytes);
  writeUint(encoded, 0, batch.chainId);
  encoded.set(hexBytes(batch.registry, 20), wordBytes + 12);
  writeUint(encoded, 2 * wordBytes, batch.shopId);
  writeUint(encoded, 3 * wordBytes, batch.batchId);
  const hashes = Buffer.allocUnsafe(commitments.length * wordBytes);
  const leaves = new Array<Uint8Array>(commitments.length);
  for (let leafIndex = 0; leafIndex < commitments.length; leafIndex++) {
    const commitment = commitments[leafIndex]!;
    if (commitment.length !== wordBytes) throw new Error("A commitment is 32 bytes.");
    encoded.fill(0, 4 * wordBytes, 5 * wordBytes);
    writeUint(encoded, 4 * wordBytes, BigInt(leafIndex));
    encoded.set(commitment, 5 * wordBytes);
    hashes.set(keccak256Bytes(keccak256Bytes(encoded)), leafIndex * wordBytes);
    leaves[leafIndex] = hashes.subarray(leafIndex * wordBytes, (leafIndex + 1) * wordBytes);
  }
  return leaves;
}

/**
 * The tree's nodes (layout above) from its leaves' hashes, giving the event loop back between
 * slices of hashes. Imports and the chain writer build trees in the worker process that also
 * fulfils orders; built in one go, a 20,000-leaf tree stalled every fulfilment behind it (the
 * worker's event loop was blocked for up to 0.6 s at the start of bench:sale; with the tree's
 * hex form and values also built in slices, mapInSlices, the longest block measured 0.15-0.17 s).
 */
export async function buildTreeNodes(leafHashes: Uint8Array[], sliceSize = 1024): Promise<Uint8Array[]> {
  if (leafHashes.length === 0) throw new Error("A batch tree needs at least one leaf.");
  const nodes = new Array<Uint8Array>(2 * leafHashes.length - 1);
  leafHashes.forEach((hash, index) => {
    if (hash.length !== wordBytes) throw new Error("A leaf hash is 32 bytes.");
    nodes[nodes.length - 1 - index] = hash;
  });
  // The inner nodes in one buffer, each a view of it: one allocation instead of one per node.
  const inner = Buffer.allocUnsafe((nodes.length - leafHashes.length) * wordBytes);
  const pair = new Uint8Array(2 * wordBytes);
  let sinceYield = 0;
  for (let index = nodes.length - 1 - leafHashes.length; index >= 0; index--) {
    const node = inner.subarray(index * wordBytes, (index + 1) * wordBytes);
    node.set(hashSortedPair(nodes[2 * index + 1]!, nodes[2 * index + 2]!, pair));
    nodes[index] = node;
    if (++sinceYield === sliceSize) {
      sinceYield = 0;
      await nextTurnOfEventLoop();
    }
  }
  return nodes;
}

/** keccak256 of two 32-byte nodes in sorted order (OpenZeppelin's commutative hash), written through `pair`. */
function hashSortedPair(a: Uint8Array, b: Uint8Array, pair: Uint8Array): Uint8Array {
  const aFirst = Buffer.compare(a, b) <= 0;
  pair.set(aFirst ? a : b, 0);
  pair.set(aFirst ? b : a, wordBytes);
  return keccak256Bytes(pair);
}

/**
 * OpenZeppelin MerkleProof.processProof on bytes: the root a leaf and its proof lead to, or
 * undefined when a node is not 32 bytes (no bytes32[] proof could hold it).
 */
export function proofRoot(leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array | undefined {
  if (leaf.length !== wordBytes || proof.some((node) => node.length !== wordBytes)) return undefined;
  const pair = new Uint8Array(2 * wordBytes);
  return proof.reduce((hash, sibling) => hashSortedPair(hash, sibling, pair), leaf);
}

/** items.map(fn), giving the event loop back every `sliceSize` items (see buildTreeNodes). */
export async function mapInSlices<Item, Result>(items: readonly Item[], fn: (item: Item, index: number) => Result, sliceSize = 4096): Promise<Result[]> {
  const results = new Array<Result>(items.length);
  for (let index = 0; index < items.length; index++) {
    results[index] = fn(items[index]!, index);
    if ((index + 1) % sliceSize === 0) await nextTurnOfEventLoop();
  }
  return results;
}

function nextTurnOfEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The proof of leaf `leafIndex` (import order): siblings from the leaf up to the root. */
export function proofOf(nodes: Uint8Array[], leafCount: number, leafIndex: number): Uint8Array[] {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= leafCount) throw new Error("Leaf index out of range.");
  const proof: Uint8Array[] = [];
  let index = nodes.length - 1 - leafIndex;
  while (index > 0) {
    proof.push(nodes[index % 2 === 1 ? index + 1 : index - 1]!);
    index = Math.floor((index - 1) / 2);
  }
  return proof;
}

/**
 * A StandardMerkleTree over nodes built above, without the library re-hashing every leaf
 * (its `load` validates the whole tree, as slow as building it). Callers must pass nodes that
 * belong to these values; batchTree.ts checks the rebuilt root against the stored one.
 */
export async function standardTreeFromNodes(nodes: Uint8Array[], values: LeafValues[]): Promise<PrebuiltStandardTree> {
  const leafCount = values.length;
  if (nodes.length !== 2 * leafCount - 1) throw new Error("Invariant: a tree of n leaves has 2n - 1 nodes.");
  return PrebuiltStandardTree.create(
    await mapInSlices(nodes, (node) => toHex(node)),
    await mapInSlices(values, (value, index) => ({ value: leafTuple(value), treeIndex: nodes.length - 1 - index })),
  );
}

// StandardMerkleTree's constructor is protected; a subclass may call it. The instance behaves
// exactly as one from StandardMerkleTree.of (proofs, multiproofs, dump).
export class PrebuiltStandardTree extends StandardMerkleTree<LeafTuple> {
  static create(tree: Hex[], values: { value: LeafTuple; treeIndex: number }[]): PrebuiltStandardTree {
    return new PrebuiltStandardTree(tree, values, [...leafEncoding]);
  }

  /**
   * getMultiProof for value indexes, without the library's per-leaf check that re-encodes and
   * re-hashes every leaf through its generic ABI encoder (measured as most of the chain
   * worker's CPU per issuance). Here that check adds nothing: the nodes were rebuilt from the
   * stored leaf hashes and the root compared with the anchored one (batchTree.ts), and the
   * contract verifies the multiproof against that root anyway. Same result as getMultiProof
   * (test/keys/batchMerkle.test.ts).
   */
  multiProofOf(valueIndexes: readonly number[]): MultiProof<Hex, LeafTuple> {
    const treeIndexes = valueIndexes.map((valueIndex) => {
      const entry = this.values[valueIndex];
      if (!entry) throw new Error(`Leaf ${valueIndex} is not in this tree.`);
      return entry.treeIndex;
    });
    // core.getMultiProof consumes the indexes in descending order and returns the leaves in it.
    treeIndexes.sort((a, b) => b - a);
    const valueAt = new Map(valueIndexes.map((valueIndex) => [this.values[valueIndex]!.treeIndex, this.values[valueIndex]!.value]));
    const proof = getMultiProof(this.tree, [...treeIndexes]);
    return { leaves: treeIndexes.map((treeIndex) => valueAt.get(treeIndex)!), proof: proof.proof as Hex[], proofFlags: proof.proofFlags };
  }
}

function writeUint(target: Uint8Array, offset: number, value: bigint): void {
  if (value < 0n || value >= 1n << 256n) throw new Error("A uint256 value is out of range.");
  let remaining = value;
  for (let position = offset + wordBytes - 1; position >= offset && remaining > 0n; position--) {
    target[position] = Number(remaining & 0xffn);
    remaining >>= 8n;
  }
}

function hexBytes(value: Hex, length: number): Buffer {
  const bytes = Buffer.from(value.slice(2), "hex");
  if (bytes.length !== length || value.length !== 2 + 2 * length) throw new Error(`Expected ${length} bytes of hex.`);
  return bytes;
}
