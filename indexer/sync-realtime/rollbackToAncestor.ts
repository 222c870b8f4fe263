// Reorganisations: find the common ancestor by walking back from the tip and comparing the
// stored hash of each block with the node's, then delete every row from orphaned blocks and
// put the checkpoint on the ancestor, in one transaction. Blocks at or below the finalized
// number are never rolled back: a mismatch there stops the indexer (DeepReorgError).
import type { Hex } from "viem";
import { DeepReorgError, type IndexerContext } from "../context.ts";
import { revertTentative } from "../handlers/applyPlatformState.ts";
import { derivedTables } from "../handlers/projectEvents.ts";
import { getHeaders } from "../rpc/readChain.ts";
import { writeCheckpoint, type Checkpoint } from "../store/checkpoint.ts";
import { sql } from "../store/sql.ts";

// The parent hash of the genesis block: the checkpoint "before block 0".
export const zeroHash: Hex = `0x${"0".repeat(64)}`;

// Blocks compared per round trip while walking back.
const walkBatchSize = 16;

export async function findCommonAncestor(context: IndexerContext, checkpoint: Checkpoint, startNumber: bigint): Promise<{ number: bigint; hash: Hex }> {
  let number = startNumber < checkpoint.blockNumber ? startNumber : checkpoint.blockNumber;
  const { rows } = await context.session.query<{ number: bigint | string; hash: string }>(
    sql`SELECT number, hash FROM chain_blocks WHERE chain_id = ${context.chainId} AND number BETWEEN ${checkpoint.finalizedNumber} AND ${number}`,
  );
  const local = new Map(rows.map((row) => [BigInt(row.number), row.hash]));
  const lowerBound = checkpoint.finalizedNumber < 0n ? 0n : checkpoint.finalizedNumber;
  while (number >= lowerBound) {
    const lowest = number - BigInt(walkBatchSize) + 1n < lowerBound ? lowerBound : number - BigInt(walkBatchSize) + 1n;
    const numbers: bigint[] = [];
    for (let candidate = number; candidate >= lowest; candidate--) numbers.push(candidate);
    const headers = await getHeaders(context.rpc, numbers, walkBatchSize);
    for (const [position, candidate] of numbers.entries()) {
      const header = headers[position];
      if (header && local.get(candidate) === header.hash) return { number: candidate, hash: header.hash };
    }
    number = lowest - 1n;
  }
  if (checkpoint.finalizedNumber < 0n) {
    // Nothing was final yet (the very start): everything indexed so far was orphaned.
    return { number: -1n, hash: zeroHash };
  }
  throw new DeepReorgError(context.chainId, checkpoint.finalizedNumber);
}

export async function rollbackToAncestor(context: IndexerContext, checkpoint: Checkpoint, ancestor: { number: bigint; hash: Hex }): Promise<Checkpoint> {
  const next: Checkpoint = { blockNumber: ancestor.number, blockHash: ancestor.hash, finalizedNumber: checkpoint.finalizedNumber };
  let reverted = { batches: 0, entitlements: 0 };
  await context.session.transaction(async (session) => {
    reverted = await revertTentative(session, context.platform, ancestor.number);
    for (const table of [...derivedTables, "chain_events", "chain_logs"]) {
      await session.query(sql`DELETE FROM ${sql.identifier(table)} WHERE chain_id = ${context.chainId} AND block_number > ${ancestor.number}`);
    }
    await session.query(sql`DELETE FROM chain_blocks WHERE chain_id = ${context.chainId} AND number > ${ancestor.number}`);
    await writeCheckpoint(session, context.chainId, next);
  });
  context.logger.warn(
    {
      depth: Number(checkpoint.blockNumber - ancestor.number),
      ancestor: ancestor.number.toString(),
      revertedBatches: reverted.batches,
      revertedEntitlements: reverted.entitlements,
    },
    "chain reorganisation: rolled back to the common ancestor",
  );
  return next;
}
