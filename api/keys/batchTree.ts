// Rebuilds a batch's StandardMerkleTree from the database, for issuance multiproofs
// (api/chain/issuanceCall.ts). A finished batch's tree never changes (its keys' leaves are
// fixed when the import completes), so trees are cached per database, bounded by the number
// of leaves held, least recently used first out.
import { toHex, type Hex } from "viem";
import { AppError } from "../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { buildTreeNodes, mapInSlices, standardTreeFromNodes, type PrebuiltStandardTree } from "../../core/keys/batchMerkle.ts";
import type { LeafValues } from "../../core/keys/leaf.ts";

// About 300 bytes per leaf in memory (hex strings for the node and the values): 1,000,000
// leaves is about 300 MB at worst; ten full 100,000-key batches.
export const batchTreeCacheLeavesMax = 1_000_000;

export type BatchTreeCache = {
  trees: Map<bigint, PrebuiltStandardTree>;
  leaves: number;
  leavesMax: number;
};

export function createBatchTreeCache(leavesMax = batchTreeCacheLeavesMax): BatchTreeCache {
  return { trees: new Map(), leaves: 0, leavesMax };
}

// One cache per database handle, so callers that pass only the database share it and two
// databases (test suites) never see each other's trees.
const cachesByDatabase = new WeakMap<Drizzle, BatchTreeCache>();

export async function loadBatchTree(db: Drizzle, batchId: bigint, cache?: BatchTreeCache): Promise<PrebuiltStandardTree> {
  const treeCache = cache ?? cachesByDatabase.get(db) ?? cachesByDatabase.set(db, createBatchTreeCache()).get(db)!;
  // Remembered again on every use, so the least recently used tree is the first out.
  const tree = treeCache.trees.get(batchId) ?? (await buildBatchTreeFromStore(db, batchId));
  rememberBatchTree(treeCache, batchId, tree);
  return tree;
}

/**
 * Puts a batch's tree in the cache (least recently used trees out), unless it alone exceeds the
 * cache. The import hands over the tree it has just built, so the chain writer in the same
 * process does not rebuild it from the database for the batch's first issuance.
 */
export function rememberBatchTree(treeCache: BatchTreeCache, batchId: bigint, tree: PrebuiltStandardTree): void {
  if (tree.length > treeCache.leavesMax) return;
  const replaced = treeCache.trees.get(batchId);
  if (replaced) {
    treeCache.trees.delete(batchId);
    treeCache.leaves -= replaced.length;
  }
  while (treeCache.leaves + tree.length > treeCache.leavesMax) {
    const [oldestId, oldest] = treeCache.trees.entries().next().value!;
    treeCache.trees.delete(oldestId);
    treeCache.leaves -= oldest.length;
  }
  treeCache.trees.set(batchId, tree);
  treeCache.leaves += tree.length;
}

async function buildBatchTreeFromStore(db: Drizzle, batchId: bigint): Promise<PrebuiltStandardTree> {
  const batch = await queryOne<{ shop_id: bigint; root: Uint8Array | null; key_count: number; chain_id: bigint | null; registry_address: string | null }>(
    db,
    sql`SELECT shop_id, root, key_count, chain_id, registry_address FROM batches WHERE id = ${batchId}`,
  );
  if (!batch) throw new AppError("not_found", `No batch ${batchId}.`);
  if (!batch.root || batch.chain_id === null || batch.registry_address === null) {
    throw new AppError("invalid_state", `Batch ${batchId} is still being imported.`, { retryable: true });
  }
  const rows = await queryRows<{ leaf_index: number; commitment: Uint8Array; leaf_hash: Uint8Array }>(
    db,
    sql`SELECT leaf_index, commitment, leaf_hash FROM keys WHERE batch_id = ${batchId} ORDER BY leaf_index`,
  );
  if (rows.length !== batch.key_count || rows.some((row, index) => row.leaf_index !== index)) {
    throw new Error(`Invariant: batch ${batchId} has ${rows.length} keys with gaps or extras; it declares ${batch.key_count}.`);
  }
  const values: LeafValues[] = await mapInSlices(rows, (row) => ({
    chainId: BigInt(batch.chain_id!),
    registry: batch.registry_address as Hex,
    shopId: BigInt(batch.shop_id),
    batchId,
    leafIndex: row.leaf_index,
    commitment: toHex(row.commitment),
  }));
  const nodes = await buildTreeNodes(rows.map((row) => row.leaf_hash));
  // The stored root is what was (or will be) anchored; a tree that does not reproduce it would
  // produce proofs the contract rejects, so stop here with the reason.
  if (toHex(nodes[0]!) !== toHex(batch.root)) {
    throw new Error(`Invariant: the leaves stored for batch ${batchId} do not reproduce its root.`);
  }
  return await standardTreeFromNodes(nodes, values);
}
