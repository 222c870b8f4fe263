// Loading millions of generated rows the way pg_restore does: the tables' secondary indexes
// dropped and built again once the rows are in (one sorted build instead of millions of
// inserts into random B-tree pages), and the loading sessions in replica mode, where
// PostgreSQL fires no trigger, foreign-key checks included. What the triggers would have kept
// (rollups, look-up tables, balance checks) is the caller's to rebuild set-wise and check by a
// recount afterwards. Only for bench:scale's own throwaway databases. Each session is a
// one-connection pool (the session setting must hold for every statement); several load in
// parallel.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

/**
 * Runs `load` with the tables' plain indexes dropped and `sessions` (one-connection pools on
 * the same database as `db`) in replica mode; builds the indexes again afterwards.
 */
export async function withBulkLoad<T>(db: Drizzle, sessions: readonly Drizzle[], tables: readonly string[], load: () => Promise<T>): Promise<T> {
  // Plain indexes only: those backing a primary key or unique constraint stay (foreign keys
  // and ON CONFLICT need them).
  const indexes = await queryRows<{ name: string; definition: string }>(
    db,
    sql`SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        WHERE i.indrelid::regclass::text = ANY(${`{${tables.join(",")}}`}::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
  );
  for (const index of indexes) await db.execute(sql.raw(`DROP INDEX ${index.name}`));
  for (const session of sessions) await session.execute(sql`SET session_replication_role = replica`);
  try {
    return await load();
  } finally {
    for (const session of sessions) await session.execute(sql`SET session_replication_role = DEFAULT`);
    // The builds spread over the sessions too.
    await onSessions(
      sessions,
      indexes.map((index) => async (session) => {
        await session.execute(sql`SET maintenance_work_mem = '256MB'`);
        await session.execute(sql.raw(index.definition));
      }),
    );
    for (const table of tables) await db.execute(sql.raw(`ANALYZE ${table}`));
  }
}

/** Runs `jobs` on the sessions, each session taking the next job when its last one ends. */
export async function onSessions(sessions: readonly Drizzle[], jobs: readonly ((session: Drizzle) => Promise<unknown>)[]): Promise<void> {
  let next = 0;
  await Promise.all(
    sessions.map(async (session) => {
      while (next < jobs.length) await jobs[next++]!(session);
    }),
  );
}
