// bench:scale's own check of the ledger proofs it times, written from RFC 9162 and sharing no
// code with api/ledger (so a wrong proof, root or chain cannot check itself): the verification
// algorithms of sections 2.1.3.2 (inclusion) and 2.1.4.2 (consistency), and the roots of chosen
// tree sizes computed from the chain in one streamed pass, where each link is also checked as
// SHA-256(previous chain hash || content hash).
import { createHash } from "node:crypto";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const leafOf = (data: Uint8Array) => sha256(Buffer.from([0]), data);
const parentOf = (left: Uint8Array, right: Uint8Array) => sha256(Buffer.from([1]), left, right);

/** RFC 9162 2.1.3.2: does `path` prove `leaf` (a leaf hash) at `index` in the tree of `size` with `root`? */
export function inclusionVerifies(leaf: Buffer, index: number, size: number, path: Buffer[], root: Buffer): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = parentOf(p, r);
      if (fn % 2 === 0) {
        do {
          fn >>= 1;
          sn >>= 1;
        } while (fn % 2 === 0 && fn !== 0);
      }
    } else r = parentOf(r, p);
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 2.1.4.2: does `proof` show the tree (`second`, `secondRoot`) extends (`first`, `firstRoot`)? */
export function consistencyVerifies(first: number, second: number, proof: Buffer[], firstRoot: Buffer, secondRoot: Buffer): boolean {
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first < 1 || first > second || proof.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn >>= 1;
    sn >>= 1;
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = parentOf(c, fr);
      sr = parentOf(c, sr);
      if (fn % 2 === 0) {
        do {
          fn >>= 1;
          sn >>= 1;
        } while (fn % 2 === 0 && fn !== 0);
      }
    } else sr = parentOf(sr, c);
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/**
 * Streams the chain in seq order: checks every link, and returns the leaf hash of `leavesOf`'s
 * seqs and the Merkle tree hash of each size in `sizes`. The tree hash of n leaves is its
 * perfect subtrees (the binary digits of n, largest first) folded from the right, so a stack
 * of at most log2(n) perfect subtrees gives any prefix's root.
 */
export async function scanChain(
  url: string,
  sizes: readonly number[],
  leavesOf: readonly number[],
): Promise<{ roots: Map<number, Buffer>; leaves: Map<number, Buffer> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const roots = new Map<number, Buffer>();
  const leaves = new Map<number, Buffer>();
  const wantedSizes = new Set(sizes);
  const wantedLeaves = new Set(leavesOf);
  // stack[i] = [hash, leaf count], counts strictly decreasing.
  const stack: [Buffer, number][] = [];
  let previous = Buffer.alloc(32);
  let seq = 0;
  let pending = "";
  const take = (line: string) => {
    // COPY text: seq, content_hash and chain_hash as \x… hex.
    const [seqText, contentText, chainText] = line.split("\t");
    seq += 1;
    if (Number(seqText) !== seq) throw new Error(`the chain skips from ${seq - 1} to ${seqText}`);
    const content = Buffer.from(contentText!.slice(3), "hex");
    const link = Buffer.from(chainText!.slice(3), "hex");
    if (!sha256(previous, content).equals(link)) throw new Error(`chain link ${seq} is not SHA-256(previous || content)`);
    previous = link;
    const leaf = leafOf(link);
    if (wantedLeaves.has(seq)) leaves.set(seq, leaf);
    let node: [Buffer, number] = [leaf, 1];
    while (stack.length > 0 && stack[stack.length - 1]![1] === node[1]) {
      const [left, count] = stack.pop()!;
      node = [parentOf(left, node[0]), count * 2];
    }
    stack.push(node);
    if (wantedSizes.has(seq)) {
      let root = stack[stack.length - 1]![0];
      for (let index = stack.length - 2; index >= 0; index--) root = parentOf(stack[index]![0], root);
      roots.set(seq, root);
    }
  };
  try {
    const stream = client.query(copyTo("COPY (SELECT seq, content_hash, chain_hash FROM ledger_chain ORDER BY seq) TO STDOUT"));
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = (pending + chunk.toString("latin1")).split("\n");
      pending = lines.pop()!;
      for (const line of lines) take(line);
    }
    if (pending) take(pending);
  } finally {
    await client.end();
  }
  return { roots, leaves };
}
