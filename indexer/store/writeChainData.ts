// Bulk writes of blocks, raw logs and decoded events: one multi-row INSERT per table built
// from column arrays (unnest), so a range of 10,000 logs is three round trips, not 30,000.
import type { BlockHeader } from "../rpc/types.ts";
import { argsToJson, type DecodedEvent, type IndexedLog } from "../handlers/sources.ts";
import type { SqlSession } from "./session.ts";

export type ChainData = { blocks: BlockHeader[]; logs: IndexedLog[]; events: DecodedEvent[] };

export async function writeChainData(session: SqlSession, chainId: number, data: ChainData): Promise<void> {
  if (data.blocks.length > 0) {
    await session.query(
      `INSERT INTO chain_blocks (chain_id, number, hash, parent_hash, timestamp)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[])
       ON CONFLICT (chain_id, number) DO UPDATE SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash, timestamp = EXCLUDED.timestamp`,
      [
        chainId,
        data.blocks.map((block) => block.number),
        data.blocks.map((block) => block.hash),
        data.blocks.map((block) => block.parentHash),
        data.blocks.map((block) => block.timestamp),
      ],
    );
  }
  if (data.logs.length > 0) {
    const logs = data.logs;
    // Topics travel as one comma-joined string per log: unnest flattens multi-dimensional arrays.
    await session.query(
      `INSERT INTO chain_logs (chain_id, block_number, log_index, block_hash, transaction_hash, transaction_index, address, topics, data)
       SELECT $1, b, i, bh, th, ti, a, string_to_array(t, ','), d
       FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[]) AS u(b, i, bh, th, ti, a, t, d)`,
      [
        chainId,
        logs.map((log) => log.blockNumber),
        logs.map((log) => log.logIndex),
        logs.map((log) => log.blockHash),
        logs.map((log) => log.transactionHash),
        logs.map((log) => log.transactionIndex),
        logs.map((log) => log.address),
        logs.map((log) => log.topics.join(",")),
        logs.map((log) => log.data),
      ],
    );
  }
  if (data.events.length > 0) {
    const events = data.events;
    await session.query(
      `INSERT INTO chain_events (chain_id, block_number, log_index, transaction_hash, contract, event_name, args)
       SELECT $1, * FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[], $7::jsonb[])`,
      [
        chainId,
        events.map((event) => event.blockNumber),
        events.map((event) => event.logIndex),
        events.map((event) => event.transactionHash),
        events.map((event) => event.address),
        events.map((event) => event.eventName),
        events.map((event) => argsToJson(event.args)),
      ],
    );
  }
}
