// How far the indexer is behind the chain: the head's number minus the last block it has fully
// indexed (indexer_checkpoints). Read by the API's and the indexer's readiness and metrics; the
// head comes from the caller's RPC client.
import { Gauge, type Registry } from "prom-client";
import { queryOne, sql, type Drizzle } from "../store/database.ts";

/** Blocks between the head and the indexer's checkpoint; undefined before the indexer's first checkpoint. */
export async function readIndexerLagBlocks(db: Drizzle, chainId: number | bigint, headBlock: bigint): Promise<number | undefined> {
  const row = await queryOne<{ block_number: string | bigint }>(db, sql`SELECT block_number FROM indexer_checkpoints WHERE chain_id = ${BigInt(chainId)}`);
  if (!row) return undefined;
  const lag = headBlock - BigInt(row.block_number);
  return Number(lag > 0n ? lag : 0n);
}

export type IndexerLagSources = { db: Drizzle; chainId: number | bigint; headBlock(): Promise<bigint>; onError(error: unknown): void };

/** keyledger_indexer_lag_blocks, read at scrape time (empty before the first checkpoint or when a read fails). */
export function registerIndexerLagGauge(registry: Registry, sources: IndexerLagSources): void {
  new Gauge({
    name: "keyledger_indexer_lag_blocks",
    help: "Blocks between the chain's head and the last block the indexer has fully indexed.",
    registers: [registry],
    collect: async function (this: Gauge) {
      this.reset();
      try {
        const lag = await readIndexerLagBlocks(sources.db, sources.chainId, await sources.headBlock());
        if (lag !== undefined) this.set(lag);
      } catch (error) {
        sources.onError(error);
      }
    },
  });
}
