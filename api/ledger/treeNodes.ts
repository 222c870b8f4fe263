// The Merkle log's perfect subtrees, stored once (ledger_tree_nodes, migration 0330), so that a
// root, an inclusion proof or a consistency proof reads O(log n) rows instead of every leaf.
//
// A node (level L, index i) is MTH over the leaves [i·2^L, (i+1)·2^L): a perfect, aligned
// subtree, fixed forever once its last leaf is chained (the chain is append-only). RFC 9162's
// recursion splits a range at the largest power of two below its length, and every range it
// reaches starts at a multiple of that power, so any subtree a proof needs is one stored node or
// a right spine of at most log2(n) of them. Levels below 4 (subtrees of fewer than 16 leaves)
// are not stored: they are computed from at most 15 leaves, which costs fewer reads than the
// eight times as many rows storing them would.
//
// The hasher extends the nodes in the transaction that chains new entries (hasher.ts), and
// catches up at most `catchUpLeavesMax` leaves a pass on a log chained before the nodes existed.
// A node not stored yet is computed from its children, so proofs stay right during a catch-up,
// only slower.
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { hexArrayLiteral, integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { emptyTreeHash, leafArraySubtrees, leafHash, nodeHash, split, type Hash, type SubtreeHashes } from "./merkleLog.ts";

export const storedLevelMin = 4;
const storedLeavesMin = 2 ** storedLevelMin;

/** Leaves a hasher pass adds nodes for at most when it catches up (65,536: 2 MB read a pass). */
export const catchUpLeavesMax = 65_536;

type NodeKey = `${number}:${number}`;
const nodeKey = (level: number, index: number): NodeKey => `${level}:${index}`;

/** The level of [from, to) when it is a stored node (perfect, aligned, at least 16 leaves); else undefined. */
function storedLevelOf(from: number, to: number): number | undefined {
  const n = to - from;
  if (n < storedLeavesMin || (n & (n - 1)) !== 0 || from % n !== 0) return undefined;
  return Math.log2(n);
}

/** The log size the stored nodes cover: every leaf below it is under a stored level-4 node. */
export async function coveredSize(db: Drizzle): Promise<number> {
  const row = await queryOne<{ newest: bigint | null }>(db, sql`SELECT max(idx) AS newest FROM ledger_tree_nodes WHERE level = ${storedLevelMin}`);
  return row?.newest === null || row?.newest === undefined ? 0 : (Number(row.newest) + 1) * storedLeavesMin;
}

/**
 * Stores the nodes completed by the leaves from what is covered up to `upToSize` (at most
 * `leavesMax` leaves further); run inside the transaction that chained them. Returns the size
 * now covered.
 */
export async function extendTreeNodes(tx: Drizzle, upToSize: number, leavesMax = catchUpLeavesMax): Promise<number> {
  const from = await coveredSize(tx);
  const to = Math.min(upToSize, from + leavesMax);
  const first = Math.floor(from / storedLeavesMin);
  const last = Math.floor(to / storedLeavesMin) - 1;
  if (last < first) return from;
  const leaves = await readLeaves(tx, [[first * storedLeavesMin, (last + 1) * storedLeavesMin]]);
  if (leaves.size !== (last - first + 1) * storedLeavesMin) throw new Error(`The chain has a gap below seq ${(last + 1) * storedLeavesMin}.`);
  const levels: number[] = [];
  const indexes: number[] = [];
  const hashes: Hash[] = [];
  let below = new Map<number, Hash>();
  for (let index = first; index <= last; index++) {
    const start = index * storedLeavesMin;
    const slice = Array.from({ length: storedLeavesMin }, (_, offset) => leaves.get(start + offset)!);
    below.set(index, leafArraySubtrees(slice)(0, storedLeavesMin));
  }
  for (let level = storedLevelMin; below.size > 0; level++) {
    for (const [index, hash] of below) {
      levels.push(level);
      indexes.push(index);
      hashes.push(hash);
    }
    // Parents completed by this pass: those whose end lies in (from, to].
    const parentFirst = Math.floor(from / 2 ** (level + 1));
    const parentLast = Math.floor(to / 2 ** (level + 1)) - 1;
    if (parentLast < parentFirst) break;
    const wanted = Array.from({ length: parentLast - parentFirst + 1 }, (_, offset) => parentFirst + offset);
    const missing = wanted.flatMap((parent) => [2 * parent, 2 * parent + 1]).filter((child) => !below.has(child));
    const stored = await readNodes(
      tx,
      missing.map((index) => [level, index] as const),
    );
    const above = new Map<number, Hash>();
    for (const parent of wanted) {
      const child = (index: number) => below.get(index) ?? stored.get(nodeKey(level, index));
      const left = child(2 * parent);
      const right = child(2 * parent + 1);
      if (!left || !right) throw new Error(`ledger tree node ${level}:${2 * parent} or its sibling is missing below a completed parent`);
      above.set(parent, nodeHash(left, right));
    }
    below = above;
  }
  await tx.execute(sql`
    INSERT INTO ledger_tree_nodes (level, idx, hash)
    SELECT l, i, decode(h, 'hex')
    FROM unnest(${integerArrayLiteral(levels.map(String))}::smallint[], ${integerArrayLiteral(indexes.map(String))}::bigint[],
                ${hexArrayLiteral(hashes)}::text[]) AS x(l, i, h)`);
  return (last + 1) * storedLeavesMin;
}

export type SubtreeReads = { nodes: number; leaves: number; queries: number };

/**
 * Runs `use` over the log of `size` leaves with subtree hashes read from the stored nodes. `use`
 * runs twice: first to learn which subtrees it asks for (its control flow never depends on a
 * hash: the proofs' recursion follows sizes and indexes only), then with the hashes read in a
 * few statements. Throws when a leaf below `size` is not chained.
 */
export async function withStoredSubtrees<T>(db: Drizzle, size: number, use: (subtree: SubtreeHashes) => T): Promise<{ value: T; reads: SubtreeReads }> {
  const requested: [number, number][] = [];
  use((from, to) => {
    if (from < 0 || to > size || from > to) throw new RangeError(`subtree [${from}, ${to}) outside a log of ${size}`);
    requested.push([from, to]);
    return emptyTreeHash;
  });
  const reads: SubtreeReads = { nodes: 0, leaves: 0, queries: 0 };
  const nodes = new Map<NodeKey, Hash>();
  const leaves = new Map<number, Hash>();
  // What each requested range needs: stored nodes where it is one, leaves below 16.
  let wantedNodes: (readonly [number, number])[] = [];
  const leafRanges: [number, number][] = [];
  const decompose = (from: number, to: number): void => {
    const n = to - from;
    if (n === 0) return;
    const level = storedLevelOf(from, to);
    if (level !== undefined) wantedNodes.push([level, from / n]);
    else if (n < storedLeavesMin) leafRanges.push([from, to]);
    else {
      const k = split(n);
      decompose(from, from + k);
      decompose(from + k, to);
    }
  };
  for (const [from, to] of requested) decompose(from, to);
  // A node not stored (a catch-up not finished) is read as its two children, down to leaves.
  while (wantedNodes.length > 0) {
    const unique = [...new Map(wantedNodes.map((node) => [nodeKey(node[0], node[1]), node])).values()].filter(
      ([level, index]) => !nodes.has(nodeKey(level, index)),
    );
    const found = await readNodes(db, unique);
    reads.queries += 1;
    reads.nodes += found.size;
    for (const [key, hash] of found) nodes.set(key, hash);
    wantedNodes = [];
    for (const [level, index] of unique) {
      if (found.has(nodeKey(level, index))) continue;
      if (level === storedLevelMin) leafRanges.push([index * storedLeavesMin, (index + 1) * storedLeavesMin]);
      else wantedNodes.push([level - 1, 2 * index], [level - 1, 2 * index + 1]);
    }
  }
  if (leafRanges.length > 0) {
    const read = await readLeaves(db, leafRanges);
    reads.queries += 1;
    reads.leaves += read.size;
    for (const [index, hash] of read) leaves.set(index, hash);
  }
  const memo = new Map<string, Hash>();
  const subtree: SubtreeHashes = (from, to) => {
    const n = to - from;
    if (n === 0) return emptyTreeHash;
    const level = storedLevelOf(from, to);
    const stored = level === undefined ? undefined : nodes.get(nodeKey(level, from / n));
    if (stored) return stored;
    if (n === 1) {
      const leaf = leaves.get(from);
      if (!leaf) throw new Error(`The chain has no entry at seq ${from + 1}: it has a gap below ${size}.`);
      return leaf;
    }
    const key = `${from}:${to}`;
    const known = memo.get(key);
    if (known) return known;
    const k = split(n);
    const hash = nodeHash(subtree(from, from + k), subtree(from + k, to));
    memo.set(key, hash);
    return hash;
  };
  return { value: use(subtree), reads };
}

async function readNodes(db: Drizzle, wanted: readonly (readonly [number, number])[]): Promise<Map<NodeKey, Hash>> {
  const found = new Map<NodeKey, Hash>();
  if (wanted.length === 0) return found;
  const rows = await queryRows<{ level: number; idx: bigint; hash: Buffer }>(
    db,
    sql`SELECT n.level, n.idx, n.hash FROM unnest(${integerArrayLiteral(wanted.map(([level]) => String(level)))}::smallint[],
                                              ${integerArrayLiteral(wanted.map(([, index]) => String(index)))}::bigint[]) AS w(level, idx)
        JOIN ledger_tree_nodes n ON n.level = w.level AND n.idx = w.idx`,
  );
  for (const row of rows) found.set(nodeKey(Number(row.level), Number(row.idx)), Buffer.from(row.hash));
  return found;
}

/** Leaf hashes of the leaf index ranges [from, to) (leaf i is the entry at seq i + 1). */
async function readLeaves(db: Drizzle, ranges: readonly [number, number][]): Promise<Map<number, Hash>> {
  const rows = await queryRows<{ seq: bigint; chain_hash: Buffer }>(
    db,
    sql`SELECT c.seq, c.chain_hash FROM unnest(${integerArrayLiteral(ranges.map(([from]) => String(from)))}::bigint[],
                                               ${integerArrayLiteral(ranges.map(([, to]) => String(to)))}::bigint[]) AS r(lo, hi)
        JOIN ledger_chain c ON c.seq > r.lo AND c.seq <= r.hi`,
  );
  const leaves = new Map<number, Hash>();
  for (const row of rows) leaves.set(Number(row.seq) - 1, leafHash(row.chain_hash));
  return leaves;
}

/** The root of the log's first `size` leaves, from the stored subtrees. */
export async function storedTreeRoot(db: Drizzle, size: bigint): Promise<Hash> {
  return (await withStoredSubtrees(db, Number(size), (subtree) => subtree(0, Number(size)))).value;
}
