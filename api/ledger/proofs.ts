// Proofs served to anyone who wants to check the books against the chain: an entry's
// inclusion in an anchored tree, and the consistency of two anchored trees (RFC 9162).
import { AppError } from "../../core/errors.ts";
import { byteaHex as hex } from "../../core/store/byteStrings.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { consistencyPath, inclusionPath } from "./merkleLog.ts";
import { withStoredSubtrees } from "./treeNodes.ts";

export type InclusionProofReturnType = {
  transactionId: string;
  seq: string;
  leafIndex: string;
  treeSize: string;
  chainHash: string;
  leafHash: string;
  root: string;
  path: string[];
  anchor: { transactionHash: string; blockNumber: string; chainId: string; contractAddress: string } | null;
};

/**
 * Proves a journal transaction is in the tree of `treeSize` entries (default: the latest
 * anchor that covers it). not_found if the entry is not chained or not covered yet.
 */
export async function getInclusionProof(db: Drizzle, parameters: { transactionId: bigint; treeSize?: bigint }): Promise<InclusionProofReturnType> {
  const entry = await queryOne<{ seq: bigint; chain_hash: Buffer }>(
    db,
    sql`SELECT seq, chain_hash FROM ledger_chain WHERE tx_id = ${parameters.transactionId}`,
  );
  if (!entry) throw new AppError("not_found", `Journal transaction ${parameters.transactionId} is not in the hash chain yet.`);
  const anchor = await queryOne<{ size: bigint; tx_hash: string; block_number: bigint; chain_id: bigint; contract_address: string }>(
    db,
    parameters.treeSize === undefined
      ? sql`SELECT size, tx_hash, block_number, chain_id, contract_address FROM ledger_anchors WHERE size >= ${entry.seq} ORDER BY size DESC LIMIT 1`
      : sql`SELECT size, tx_hash, block_number, chain_id, contract_address FROM ledger_anchors WHERE size = ${parameters.treeSize}`,
  );
  const treeSize = parameters.treeSize ?? anchor?.size;
  if (treeSize === undefined) throw new AppError("not_found", `No anchor covers journal transaction ${parameters.transactionId} yet.`);
  if (treeSize < entry.seq) throw new AppError("bad_request", `A tree of ${treeSize} entries does not contain entry ${entry.seq}.`);
  // A tree size asked for (not an anchored one) can be beyond the chain: answered like the
  // consistency proof, not by a read's gap error (a 500, found by the HTTP fuzzer).
  await requireChainSize(db, treeSize);
  const index = Number(entry.seq - 1n);
  const size = Number(treeSize);
  const { value: proof } = await withStoredSubtrees(db, size, (subtree) => ({
    leaf: subtree(index, index + 1),
    root: subtree(0, size),
    path: inclusionPath(subtree, index, size),
  }));
  return {
    transactionId: parameters.transactionId.toString(),
    seq: entry.seq.toString(),
    leafIndex: String(index),
    treeSize: treeSize.toString(),
    chainHash: hex(entry.chain_hash),
    leafHash: hex(proof.leaf),
    root: hex(proof.root),
    path: proof.path.map(hex),
    anchor: anchor
      ? {
          transactionHash: anchor.tx_hash,
          blockNumber: anchor.block_number.toString(),
          chainId: anchor.chain_id.toString(),
          contractAddress: anchor.contract_address,
        }
      : null,
  };
}

export type ConsistencyProofReturnType = { firstSize: string; secondSize: string; firstRoot: string; secondRoot: string; proof: string[] };

/** Proves the tree of `secondSize` entries extends the tree of `firstSize` entries. */
export async function getConsistencyProof(db: Drizzle, parameters: { firstSize: bigint; secondSize: bigint }): Promise<ConsistencyProofReturnType> {
  const { firstSize, secondSize } = parameters;
  if (firstSize < 1n || firstSize > secondSize) throw new AppError("bad_request", "Sizes must satisfy 1 <= first <= second.");
  await requireChainSize(db, secondSize);
  const [first, second] = [Number(firstSize), Number(secondSize)];
  const { value } = await withStoredSubtrees(db, second, (subtree) => ({
    firstRoot: subtree(0, first),
    secondRoot: subtree(0, second),
    proof: consistencyPath(subtree, first, second),
  }));
  return {
    firstSize: firstSize.toString(),
    secondSize: secondSize.toString(),
    firstRoot: hex(value.firstRoot),
    secondRoot: hex(value.secondRoot),
    proof: value.proof.map(hex),
  };
}

/** Refuses a tree size the hash chain has not reached yet. */
async function requireChainSize(db: Drizzle, size: bigint): Promise<void> {
  const chained = await queryOne<{ size: bigint | null }>(db, sql`SELECT max(seq) AS size FROM ledger_chain`);
  if ((chained?.size ?? 0n) < size) throw new AppError("not_found", `The chain has fewer than ${size} entries.`);
}
