// Reconciliation of issuances: every confirmed entitlement against its token on-chain (batch and
// leaf), and its sold key checked cryptographically: the leaf recomputed from the key row's
// values must be the stored leaf, and the stored proof must take it to the root anchored
// on-chain.
//
// Batch by batch and page by page, so a run's memory is bounded by one batch's leaves and one
// page of sold keys, whatever the number of sales (it used to load every sold key with its proof
// at once: about 1 GB at a million sales). And by tree: the batch's tree is rebuilt once from its
// stored leaves (about one keccak per key of the batch); when its root is the anchored one, a
// stored proof proves its leaf exactly when it is that leaf's path in the tree, a comparison of
// bytes, where checking each proof on its own cost a keccak per level per sold key (17 per key
// at 100,000 keys; keccak is JavaScript here, about 8 µs each). A batch whose stored leaves do not
// rebuild the anchored root (a key row changed, or a batch stored incomplete) has each sold key's
// proof checked on its own, which names the keys that are wrong.
import { toHex, type Hex } from "viem";
import { buildTreeNodes, leafHashBytes, proofOf, proofRoot } from "../../core/keys/batchMerkle.ts";
import type { SqlSession } from "../store/session.ts";
import type { Finding } from "./reconcile.ts";
import { sql } from "../store/sql.ts";

/** Sold keys read per query: bounds a run's memory (each row carries its proof). */
const issuedPageSize = 2_000;

type IssuedRow = {
  id: bigint;
  token_id: string;
  key_id: bigint;
  shop_id: bigint;
  leaf_index: number;
  commitment: Buffer;
  leaf_hash: Buffer;
  proof: Buffer[];
  chain_batch: string | null;
  chain_leaf: string | null;
};

export async function checkIssuedKeys(
  session: SqlSession,
  parameters: { chainId: number; registryAddress: Hex; finalized: bigint },
  add: (finding: Finding) => void,
  pageSize = issuedPageSize,
): Promise<number> {
  const { chainId, finalized } = parameters;
  // The key rows' own batch ids (not the entitlements' copies), so a key row moved to another
  // batch is checked against that batch and found.
  const { rows: batches } = await session.query<{ batch_id: bigint; chain_root: string | null }>(
    sql`SELECT b.batch_id, a.root AS chain_root
     FROM (SELECT DISTINCT k.batch_id FROM entitlements e JOIN keys k ON k.id = e.key_id WHERE e.issue_state = 'confirmed') b
       LEFT JOIN chain_batch_anchors a ON a.chain_id = ${chainId} AND a.batch_id = b.batch_id AND a.block_number <= ${finalized}
     ORDER BY b.batch_id`,
  );
  let checked = 0;
  for (const { batch_id: batchId, chain_root: anchoredRoot } of batches) {
    const tree = anchoredRoot === null ? undefined : await treeIfItRebuilds(session, batchId, anchoredRoot as Hex);
    // Pages of sold keys in leaf order, walked through keys_batch_leaf_key.
    let afterLeaf = -1;
    for (;;) {
      const { rows } = await session.query<IssuedRow>(
        sql`SELECT e.id, e.token_id::text, e.key_id, k.shop_id, k.leaf_index, k.commitment, k.leaf_hash, k.proof,
                t.batch_id::text AS chain_batch, t.leaf_index::text AS chain_leaf
         FROM keys k JOIN entitlements e ON e.key_id = k.id AND e.issue_state = 'confirmed'
           LEFT JOIN LATERAL chain_token(${chainId}, e.token_id) t ON t.block_number <= ${finalized}
         WHERE k.batch_id = ${batchId} AND k.leaf_index > ${afterLeaf}
         ORDER BY k.leaf_index LIMIT ${pageSize}`,
      );
      for (const row of rows) checkRow(row, batchId, anchoredRoot as Hex | null, tree, parameters, add);
      checked += rows.length;
      if (rows.length < pageSize) break;
      afterLeaf = rows[rows.length - 1]!.leaf_index;
    }
  }
  return checked;
}

type RebuiltTree = { nodes: Uint8Array[]; leafCount: number };

/** The batch's tree from its stored leaves, if they are complete and rebuild the anchored root. */
async function treeIfItRebuilds(session: SqlSession, batchId: bigint, anchoredRoot: Hex): Promise<RebuiltTree | undefined> {
  const { rows } = await session.query<{ leaf_index: number; leaf_hash: Buffer }>(
    sql`SELECT leaf_index, leaf_hash FROM keys WHERE batch_id = ${batchId} ORDER BY leaf_index`,
  );
  if (rows.length === 0 || rows.some((row, index) => row.leaf_index !== index || row.leaf_hash.length !== 32)) return undefined;
  const nodes = await buildTreeNodes(rows.map((row) => row.leaf_hash));
  return toHex(nodes[0]!) === anchoredRoot ? { nodes, leafCount: rows.length } : undefined;
}

function checkRow(
  row: IssuedRow,
  batchId: bigint,
  anchoredRoot: Hex | null,
  tree: RebuiltTree | undefined,
  parameters: { chainId: number; registryAddress: Hex },
  add: (finding: Finding) => void,
): void {
  const id = String(row.id);
  if (row.chain_batch === null) {
    add({ kind: "missing_on_chain", subject: "issuance", subjectId: id, details: { tokenId: row.token_id } });
    return;
  }
  if (row.chain_batch !== String(batchId) || row.chain_leaf !== String(row.leaf_index)) {
    add({
      kind: "mismatch",
      subject: "issuance",
      subjectId: id,
      details: {
        tokenId: row.token_id,
        database: { batchId: String(batchId), leafIndex: row.leaf_index },
        chain: { batchId: row.chain_batch, leafIndex: row.chain_leaf },
      },
    });
  }
  const recomputed = leafHashBytes({
    chainId: BigInt(parameters.chainId),
    registry: parameters.registryAddress,
    shopId: BigInt(row.shop_id),
    batchId,
    leafIndex: row.leaf_index,
    commitment: toHex(row.commitment),
  });
  const leafMatchesValues = Buffer.compare(recomputed, row.leaf_hash) === 0;
  const proofMatchesAnchoredRoot =
    anchoredRoot !== null &&
    ((tree !== undefined && row.leaf_index < tree.leafCount && sameNodes(row.proof, proofOf(tree.nodes, tree.leafCount, row.leaf_index))) ||
      hexOrUndefined(proofRoot(row.leaf_hash, row.proof)) === anchoredRoot);
  if (!leafMatchesValues || !proofMatchesAnchoredRoot) {
    add({ kind: "mismatch", subject: "key", subjectId: String(row.key_id), details: { tokenId: row.token_id, leafMatchesValues, proofMatchesAnchoredRoot } });
  }
}

function sameNodes(stored: Buffer[], path: Uint8Array[]): boolean {
  return stored.length === path.length && stored.every((node, index) => Buffer.compare(node, path[index]!) === 0);
}

const hexOrUndefined = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : toHex(bytes));
