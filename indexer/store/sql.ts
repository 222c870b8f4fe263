// The indexer's SQL idiom is the rest of the code base's: Drizzle's `sql` tagged template, whose
// values are always parameters, never text. The indexer keeps its own raw pg connection (it
// holds the writer lock, and COPY needs it), so its session compiles a statement itself, with
// PostgreSQL's quoting and $n placeholders, exactly as drizzle-orm's PgDialect.sqlToQuery does.
//
// Why not import PgDialect: the indexer deliberately loads no ORM at start-up. Measured on this
// machine (CPU time of the import, 4-5 runs each): `drizzle-orm/sql/sql` 24-40 ms,
// `drizzle-orm` (its index) 316-387 ms, `drizzle-orm/pg-core` 533-699 ms, against 950-1,060 ms
// for the indexer's whole module graph. `sql` here is the very object "drizzle-orm" exports
// (the same module), and test/indexer/sql.test.ts compares this compiler with PgDialect's.
import { CasingCache } from "drizzle-orm/casing";
import { sql, type SQL } from "drizzle-orm/sql/sql";

export { sql, type SQL };

export type CompiledQuery = { text: string; params: unknown[] };

const casing = new CasingCache();

/**
 * A statement as text with $1..$n and its parameters. A JavaScript array interpolated directly
 * becomes a list of parameters, `($1, $2)`, as everywhere with Drizzle; pass a whole array as
 * one parameter with `sql.param(values)` (then cast it: `::bigint[]`).
 */
export function compileSql(statement: SQL): CompiledQuery {
  const query = statement.toQuery({
    casing,
    escapeName: (name) => `"${name.replace(/"/g, '""')}"`,
    escapeParam: (index) => `$${index + 1}`,
    escapeString: (text) => `'${text.replace(/'/g, "''")}'`,
  });
  return { text: query.sql, params: query.params };
}
