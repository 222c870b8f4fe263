// The checkpoint: the last block fully indexed and the highest final block. Always written in
// the transaction that wrote the rows it covers, so a crash leaves either both or neither.
import type { Hex } from "viem";
import type { SqlSession } from "./session.ts";
import { sql } from "./sql.ts";

export type Checkpoint = { blockNumber: bigint; blockHash: Hex; finalizedNumber: bigint };

export async function readCheckpoint(session: SqlSession, chainId: number): Promise<Checkpoint | undefined> {
  const { rows } = await session.query<{ block_number: bigint | string; block_hash: string; finalized_number: bigint | string }>(
    sql`SELECT block_number, block_hash, finalized_number FROM indexer_checkpoints WHERE chain_id = ${chainId}`,
  );
  const row = rows[0];
  if (!row) return undefined;
  return { blockNumber: BigInt(row.block_number), blockHash: row.block_hash as Hex, finalizedNumber: BigInt(row.finalized_number) };
}

export async function writeCheckpoint(session: SqlSession, chainId: number, checkpoint: Checkpoint): Promise<void> {
  await session.query(
    sql`INSERT INTO indexer_checkpoints (chain_id, block_number, block_hash, finalized_number, updated_at)
     VALUES (${chainId}, ${checkpoint.blockNumber}, ${checkpoint.blockHash}, ${checkpoint.finalizedNumber}, now())
     ON CONFLICT (chain_id) DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,
       finalized_number = EXCLUDED.finalized_number, updated_at = now()`,
  );
}
