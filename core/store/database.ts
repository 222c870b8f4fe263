// The store: one Drizzle database over either a PostgreSQL server (`pg` pool, when a
// DATABASE_URL is configured) or embedded PGlite in a data directory. Both speak the same
// SQL and share the schema and migrations. Only entry points create a Database and pass it
// down; services receive it as their first argument.
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { sql, type SQL } from "drizzle-orm";
import pg from "pg";
import { byteaTypeId, parseBytea } from "./byteStrings.ts";

export type Drizzle = PgDatabase<PgQueryResultHKT, Record<string, never>>;

export type Database = {
  kind: "pg" | "pglite";
  db: Drizzle;
  /** The pg pool, for work Drizzle does not cover (COPY, LISTEN, advisory locks on one session). */
  pool?: pg.Pool;
  /** The embedded PGlite instance when the store is embedded. */
  pglite?: PGlite;
  close(): Promise<void>;
};

export type DatabaseOptions = { url: string; poolSizeMax?: number; applicationName?: string } | { dataDir: string };

// node-postgres returns int8 and numeric as strings by default; money and chain values are
// bigints end to end, so int8 is parsed as bigint. numeric(78,0) (uint256) stays a string and
// is converted where it is read.
pg.types.setTypeParser(20, (value) => BigInt(value));
// bytea is a Buffer on both drivers, through the same parser (api/store/byteStrings.ts).
pg.types.setTypeParser(byteaTypeId, parseBytea);

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ("url" in options) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSizeMax ?? 10,
      application_name: options.applicationName ?? "keyledger",
      // JIT off for every platform connection: its statements are short, but a range join's
      // estimate on a large store (millions of rows) crosses jit_above_cost, and compiling then
      // costs 5-50 ms for a statement that runs in 0.1 ms (bench:scale at 10M journal entries:
      // the ledger consistency proof's p50 was 51 ms, nearly all of it JIT; docs/costs.md).
      options: "-c jit=off",
    });
    // A pool error (a server restart) must not crash the process; the next query reconnects.
    // The pool reports errors of idle clients only: a client checked out by a transaction that
    // is between two statements when the server cuts it emits 'error' on itself, and without a
    // listener that ended the process (the workers, in the PostgreSQL restart drill). The
    // transaction's next statement fails instead, and the pool discards the client.
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    const db = drizzlePg(pool) as unknown as Drizzle;
    return { kind: "pg", db, pool, close: () => pool.end() };
  }
  const pglite = await PGlite.create({
    dataDir: options.dataDir,
    // Search's typo tolerance (migration 1200_search.sql): PGlite ships pg_trgm in its contrib
    // bundle, loaded only when asked for.
    extensions: { pg_trgm },
    parsers: { 20: (value: string) => BigInt(value), [byteaTypeId]: parseBytea },
  });
  const db = drizzlePglite(pglite) as unknown as Drizzle;
  return { kind: "pglite", db, pglite, close: () => pglite.close() };
}

/** Runs one SQL statement and returns its rows. */
export async function queryRows<Row>(db: Drizzle, statement: SQL): Promise<Row[]> {
  const result = (await db.execute(statement)) as unknown as { rows: Row[] };
  return result.rows;
}

/** Runs one SQL statement and returns its only row, or undefined. */
export async function queryOne<Row>(db: Drizzle, statement: SQL): Promise<Row | undefined> {
  const rows = await queryRows<Row>(db, statement);
  return rows[0];
}

export { sql };

/**
 * Runs a hot statement as a named prepared statement on a PostgreSQL server, so each pooled
 * connection parses it once and can reuse its plan (the sale path's CTEs cost more to plan than
 * to run). The statement's text must not vary between calls under one name. Inside a transaction
 * it is prepared on the transaction's connection (the pool's connections keep what they
 * prepared from one transaction to the next). On PGlite it runs as an ordinary statement.
 */
export async function queryPreparedOne<Row>(db: Drizzle, name: string, statement: SQL): Promise<Row | undefined> {
  return (await queryPreparedRows<Row>(db, name, statement))[0];
}

/** As queryPreparedOne, for a statement that returns any number of rows. */
export async function queryPreparedRows<Row>(db: Drizzle, name: string, statement: SQL): Promise<Row[]> {
  const client = preparingClient(db);
  if (client === undefined) return queryRows<Row>(db, statement);
  const dialect = (db as unknown as { dialect: { sqlToQuery(statement: SQL): { sql: string; params: unknown[] } } }).dialect;
  const query = dialect.sqlToQuery(statement);
  const result = await client.query({ name, text: query.sql, values: query.params as unknown[] });
  return result.rows as Row[];
}

/**
 * Where a named statement can be prepared: the pool of a database, or the connection a
 * transaction holds (Drizzle's transaction keeps it as its session's client); undefined on PGlite.
 */
function preparingClient(db: Drizzle): pg.Pool | pg.Client | undefined {
  const pool = (db as unknown as { $client?: unknown }).$client;
  if (pool instanceof pg.Pool) return pool;
  const connection = (db as unknown as { session?: { client?: unknown } }).session?.client;
  return connection instanceof pg.Client ? connection : undefined;
}
