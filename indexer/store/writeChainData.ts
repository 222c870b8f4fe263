// Bulk writes of blocks, raw logs and decoded events: one COPY (or one unnest INSERT) per table,
// so a range of 10,000 logs is a handful of round trips, not 30,000 statements.
import type { BlockHeader } from "../rpc/types.ts";
import type { DecodedEvent, IndexedLog } from "../handlers/sources.ts";
import { prepareBulkInsert, runPrepared, type PreparedWrite } from "./bulkInsert.ts";
import type { SqlSession } from "./session.ts";
import { sql } from "./sql.ts";

export type ChainData = { blocks: BlockHeader[]; logs: IndexedLog[]; events: DecodedEvent[] };

export async function writeChainData(session: SqlSession, chainId: number, data: ChainData): Promise<void> {
  await runPrepared(session, prepareChainData(session.copyFrom !== undefined, chainId, data));
}

export function prepareChainData(copy: boolean, chainId: number, data: ChainData): PreparedWrite[] {
  const writes: (PreparedWrite | undefined)[] = [];
  if (data.blocks.length > 0) {
    // A block can be written twice (a range's last block, then again as a log's block after a
    // restart never happens, but the walk-back re-stores ancestors): the last write wins.
    writes.push({
      kind: "query",
      statement: sql`INSERT INTO chain_blocks (chain_id, number, hash, parent_hash, timestamp)
       SELECT ${chainId}, * FROM unnest(${sql.param(data.blocks.map((block) => block.number))}::bigint[], ${sql.param(data.blocks.map((block) => block.hash))}::text[],
                                   ${sql.param(data.blocks.map((block) => block.parentHash))}::text[], ${sql.param(data.blocks.map((block) => block.timestamp))}::bigint[])
       ON CONFLICT (chain_id, number) DO UPDATE SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash, timestamp = EXCLUDED.timestamp`,
    });
  }
  writes.push(
    prepareBulkInsert(
      copy,
      "chain_logs",
      [
        ["chain_id", "bigint"],
        ["block_number", "bigint"],
        ["log_index", "int"],
        ["block_hash", "text"],
        ["transaction_hash", "text"],
        ["transaction_index", "int"],
        ["address", "text"],
        ["topics", "text[]"],
        ["data", "text"],
      ],
      data.logs.map((log) => [
        chainId,
        log.blockNumber,
        log.logIndex,
        log.blockHash,
        log.transactionHash,
        log.transactionIndex,
        log.address,
        log.topics,
        log.data,
      ]),
    ),
  );
  writes.push(
    prepareBulkInsert(
      copy,
      "chain_events",
      [
        ["chain_id", "bigint"],
        ["block_number", "bigint"],
        ["log_index", "int"],
        ["transaction_hash", "text"],
        ["contract", "text"],
        ["event_name", "text"],
        ["args", "jsonb"],
      ],
      data.events.map((event) => [chainId, event.blockNumber, event.logIndex, event.transactionHash, event.address, event.eventName, event.args]),
    ),
  );
  return writes.filter((write): write is PreparedWrite => write !== undefined);
}
