// The indexer's database handle. On a PostgreSQL server it is a plain pg pool: the indexer
// writes through its own session (Drizzle's `sql` templates compiled by ./sql.ts, COPY for bulk
// inserts) and needs no ORM driver, and not loading one
// takes about half a second off the process start (measured: importing drizzle-orm's
// node-postgres driver cost 0.6-1.0 s here). PGlite goes through the shared store module.
import pg from "pg";
import type { Database } from "../../core/store/database.ts";

export type IndexerDatabase = Pick<Database, "kind" | "pool" | "pglite" | "close">;

export type OpenIndexerDatabaseParameters = { url: string; poolSizeMax: number } | { dataDir: string };

export async function openIndexerDatabase(parameters: OpenIndexerDatabaseParameters): Promise<IndexerDatabase> {
  if ("url" in parameters) {
    // The same int8 parser as core/store/database.ts: chain numbers are bigints end to end.
    pg.types.setTypeParser(20, (value) => BigInt(value));
    const pool = new pg.Pool({ connectionString: parameters.url, max: parameters.poolSizeMax, application_name: "keyledger-indexer" });
    pool.on("error", () => {});
    return { kind: "pg", pool, close: () => pool.end() };
  }
  const { openDatabase } = await import("../../core/store/database.ts");
  return openDatabase({ dataDir: parameters.dataDir });
}
