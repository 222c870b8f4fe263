// The RFC 9162 (Certificate Transparency 2.0) Merkle log over the journal's chain: leaf i is
// the chain_hash of the entry at seq i + 1. Hashes are SHA-256 with the RFC's domain
// separation (0x00 before a leaf, 0x01 before two children), so a leaf can never pass for an
// inner node. Proof construction follows RFC 9162 section 2.1 (MTH, PATH, PROOF) and
// verification its sections 2.1.3.2 and 2.1.4.2, step by step.
import { createHash } from "node:crypto";

export type Hash = Buffer;

const leafPrefix = Buffer.from([0]);
const nodePrefix = Buffer.from([1]);

export function leafHash(data: Uint8Array): Hash {
  return createHash("sha256").update(leafPrefix).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  return createHash("sha256").update(nodePrefix).update(left).update(right).digest();
}

export const emptyTreeHash: Hash = createHash("sha256").digest();

/** The largest power of two smaller than n (n >= 2). */
export function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH over the leaves [from, to): how a proof obtains a subtree's hash. From a whole array of
 * leaf hashes here (`leafArraySubtrees`); from stored perfect subtrees in O(log n) reads for the
 * served proofs and anchors (treeNodes.ts). The algorithms below call only this.
 */
export type SubtreeHashes = (from: number, to: number) => Hash;

/** MTH computed from the leaf hashes themselves. */
export function leafArraySubtrees(leaves: readonly Hash[]): SubtreeHashes {
  const subtree: SubtreeHashes = (from, to) => {
    const n = to - from;
    if (n === 0) return emptyTreeHash;
    if (n === 1) return leaves[from]!;
    const k = split(n);
    return nodeHash(subtree(from, from + k), subtree(from + k, to));
  };
  return subtree;
}

/** The root of the first `size` leaves (leaf hashes, not leaf data). */
export function treeRoot(leaves: readonly Hash[], size: number = leaves.length): Hash {
  if (size < 0 || size > leaves.length) throw new RangeError(`tree size ${size} outside 0..${leaves.length}`);
  return leafArraySubtrees(leaves)(0, size);
}

/** PATH(index, D[size]): the audit path proving leaf `index` is in the tree of `size` leaves. */
export function inclusionProof(leaves: readonly Hash[], index: number, size: number): Hash[] {
  if (!(index >= 0 && index < size && size <= leaves.length)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  return inclusionPath(leafArraySubtrees(leaves), index, size);
}

/** PATH(index, D[size]) over any source of subtree hashes (index < size). */
export function inclusionPath(subtree: SubtreeHashes, index: number, size: number): Hash[] {
  const path: Hash[] = [];
  const walk = (m: number, from: number, to: number): void => {
    const n = to - from;
    if (n <= 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, from, from + k);
      path.push(subtree(from + k, to));
    } else {
      walk(m - k, from + k, to);
      path.push(subtree(from, from + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** PROOF(first, D[second]): proves the tree of `second` leaves extends the tree of `first`. */
export function consistencyProof(leaves: readonly Hash[], first: number, second: number): Hash[] {
  if (!(first > 0 && first <= second && second <= leaves.length)) {
    throw new RangeError(`no consistency proof from ${first} to ${second}`);
  }
  return consistencyPath(leafArraySubtrees(leaves), first, second);
}

/** PROOF(first, D[second]) over any source of subtree hashes (0 < first <= second). */
export function consistencyPath(subtree: SubtreeHashes, first: number, second: number): Hash[] {
  const proof: Hash[] = [];
  const sub = (m: number, from: number, to: number, complete: boolean): void => {
    const n = to - from;
    if (m === n) {
      if (!complete) proof.push(subtree(from, to));
      return;
    }
    const k = split(n);
    if (m <= k) {
      sub(m, from, from + k, complete);
      proof.push(subtree(from + k, to));
    } else {
      sub(m - k, from + k, to, false);
      proof.push(subtree(from, from + k));
    }
  };
  sub(first, 0, second, true);
  return proof;
}

function bigintOf(value: number | bigint): bigint {
  return typeof value === "bigint" ? value : BigInt(value);
}

/** RFC 9162 2.1.3.2: true when `path` proves `leaf` (a leaf hash) at `index` in the tree with `root`. */
export function verifyInclusion(index: number | bigint, size: number | bigint, leaf: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): boolean {
  let fn = bigintOf(index);
  let sn = bigintOf(size) - 1n;
  if (fn < 0n || fn > sn) return false;
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(Buffer.from(root));
}

/** RFC 9162 2.1.4.2: true when `proof` shows the tree (second, secondRoot) extends (first, firstRoot). */
export function verifyConsistency(
  first: number | bigint,
  second: number | bigint,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  const m = bigintOf(first);
  const n = bigintOf(second);
  if (m <= 0n || m > n) return false;
  if (m === n) return proof.length === 0 && Buffer.from(firstRoot).equals(Buffer.from(secondRoot));
  if (proof.length === 0) return false;
  const path = (m & (m - 1n)) === 0n ? [firstRoot, ...proof] : [...proof];
  let fn = m - 1n;
  let sn = n - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return fr.equals(Buffer.from(firstRoot)) && sr.equals(Buffer.from(secondRoot)) && sn === 0n;
}
