// The indexer's writer session: one database connection that does every indexer write.
// On a PostgreSQL server it is a dedicated pg.Client that also holds the per-chain advisory
// lock, so a write can only ever happen while this process holds the lock: if the connection
// drops, the lock is gone and so is every way to write. On PGlite (one process by nature) it is
// the embedded instance.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { IndexerDatabase as Database } from "./openIndexerDatabase.ts";
import { compileSql, type SQL } from "./sql.ts";

export type QueryResult<R> = { rows: R[] };

export type SqlSession = {
  /** Runs one statement written with the `sql` template (./sql.ts), as everywhere else. */
  query<R = Record<string, unknown>>(statement: SQL): Promise<QueryResult<R>>;
  /** COPY ... FROM STDIN with the given text-format rows (server sessions only). */
  copyFrom?(statement: string, text: string): Promise<void>;
  /** Runs fn in one transaction: everything it writes commits together or not at all. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

export function pgClientSession(client: pg.Client | pg.PoolClient, close: () => Promise<void>): SqlSession {
  const session: SqlSession = {
    query: async <R>(statement: SQL) => {
      const { text, params } = compileSql(statement);
      return (await client.query(text, params)) as unknown as QueryResult<R>;
    },
    async copyFrom(statement: string, text: string): Promise<void> {
      const stream = client.query(copyFrom(statement));
      await pipeline(Readable.from([Buffer.from(text, "utf8")]), stream);
    },
    async transaction<T>(fn: (inner: SqlSession) => Promise<T>): Promise<T> {
      await client.query("BEGIN");
      try {
        const result = await fn(session);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    },
    close,
  };
  return session;
}

export function pgliteSession(database: Database): SqlSession {
  const pglite = database.pglite!;
  const wrap = (runner: { query: typeof pglite.query }): SqlSession => ({
    query: async <R>(statement: SQL) => {
      const { text, params } = compileSql(statement);
      return { rows: (await runner.query<R>(text, params)).rows };
    },
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx as unknown as { query: typeof pglite.query }))),
    close: async () => {},
  });
  return wrap(pglite);
}

/** A plain session on a new connection to the same server (readers, reconciliation, tests). */
export async function openSession(database: Database): Promise<SqlSession> {
  if (database.kind === "pglite") return pgliteSession(database);
  const client = await database.pool!.connect();
  return pgClientSession(client, async () => client.release());
}
