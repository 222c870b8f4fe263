// Counts committed row changes per table in the fuzzer's own database: a row-level trigger on
// every table adds one to `fuzz_row_changes` for each inserted, deleted or actually changed row
// (an UPDATE that rewrites the same values is not a change). The counter is written in the
// changing transaction, so a rolled-back change leaves it as it was. Reading it is one small
// query, where a digest of every table costs about 25 ms on a busy 2-core machine: reading it
// after every answer is what makes 20,000 requests take minutes rather than most of an hour.
// The full digest (stateDigest.ts) cross-checks it between operations.
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";

export type RowChanges = Record<string, number>;

export async function installRowChangeCounter(db: Drizzle, tables: string[]): Promise<void> {
  await db.execute(sql.raw("CREATE TABLE IF NOT EXISTS fuzz_row_changes (table_name text PRIMARY KEY, changes bigint NOT NULL)"));
  await db.execute(
    sql.raw(`CREATE OR REPLACE FUNCTION fuzz_count_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO fuzz_row_changes (table_name, changes) VALUES (TG_TABLE_NAME, 1)
  ON CONFLICT (table_name) DO UPDATE SET changes = fuzz_row_changes.changes + 1;
  RETURN NULL;
END $$`),
  );
  for (const table of tables) {
    await db.execute(
      sql.raw(`CREATE TRIGGER fuzz_count_insert_delete AFTER INSERT OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION fuzz_count_row_change()`),
    );
    await db.execute(
      sql.raw(
        `CREATE TRIGGER fuzz_count_update AFTER UPDATE ON "${table}" FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION fuzz_count_row_change()`,
      ),
    );
  }
}

export async function rowChanges(db: Drizzle): Promise<RowChanges> {
  const rows = await queryRows<{ table_name: string; changes: string }>(db, sql`SELECT table_name, changes::text FROM fuzz_row_changes`);
  return Object.fromEntries(rows.map((row) => [row.table_name, Number(row.changes)]));
}

/** The tables with more changes in `after` than in `before`. */
export function tablesChangedBetween(before: RowChanges, after: RowChanges): string[] {
  return Object.keys(after).filter((table) => (after[table] ?? 0) !== (before[table] ?? 0));
}
