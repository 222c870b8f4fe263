// A digest of everything the platform stores that a request could change: per table, the row
// count and an md5 over the rows' text in a fixed order, in one SQL statement. Two equal digests
// mean no row was added, removed or changed in between.
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";

export type StateDigest = { digest: string; tables: Record<string, string> };

/**
 * Tables left out, each because something other than the request under test writes it:
 * - the migration bookkeeping, written only at start;
 * - the fuzzer's own row change counter (rowChangeCounter.ts), which every change writes.
 * Everything else is in, including tables only background jobs write: the fuzzer runs with the
 * workers and the indexer stopped, so any change there came from a request.
 */
const excludedTables = new Set(["__drizzle_migrations", "schema_migrations", "fuzz_row_changes"]);

export async function tablesToDigest(db: Drizzle): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((row) => row.name).filter((name) => !excludedTables.has(name));
}

/** Builds the digest statement once for a list of tables. */
export function digestStatement(tables: string[]): string {
  return tables
    .map(
      (table) =>
        `SELECT '${table}' AS name, count(*)::text || ':' || md5(coalesce(string_agg(md5(row_text), '' ORDER BY md5(row_text)), '')) AS digest FROM (SELECT t::text AS row_text FROM "${table}" t) rows`,
    )
    .join(" UNION ALL ");
}

export async function stateDigest(db: Drizzle, statement: string): Promise<StateDigest> {
  // Sorted here: a UNION ALL's rows come in no promised order (a parallel append mixes them), and
  // an order that changed alone made the whole digest differ while no table did.
  const rows = (await queryRows<{ name: string; digest: string }>(db, sql.raw(statement))).sort((a, b) => a.name.localeCompare(b.name));
  const tables = Object.fromEntries(rows.map((row) => [row.name, row.digest]));
  return { digest: rows.map((row) => `${row.name}=${row.digest}`).join(";"), tables };
}

/** The tables whose digest differs between two snapshots. */
export function changedTables(before: StateDigest, after: StateDigest): string[] {
  return Object.keys(after.tables).filter((name) => before.tables[name] !== after.tables[name]);
}
