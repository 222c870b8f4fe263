// Scans every table of the database, every column of every row, for secrets in plaintext:
// text as is, bytea decoded as UTF-8 and as hex, arrays and JSON included.
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";

function flatten(value: unknown, out: string[]): void {
  if (value === null || value === undefined) return;
  if (value instanceof Uint8Array) {
    const buffer = Buffer.from(value);
    out.push(buffer.toString("utf8"), buffer.toString("latin1"), buffer.toString("hex"));
  } else if (Array.isArray(value)) {
    for (const item of value) flatten(item, out);
  } else if (value instanceof Date) {
    out.push(value.toISOString());
  } else if (typeof value === "object") {
    out.push(JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item)));
  } else {
    out.push(String(value));
  }
}

/** Returns "table: secret index" for every secret found anywhere, and the tables scanned. */
export async function findPlaintext(db: Drizzle, secrets: string[]): Promise<{ found: string[]; tables: string[]; rows: number }> {
  const tables = (
    await queryRows<{ table_name: string }>(
      db,
      sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    )
  ).map((row) => row.table_name);
  const found: string[] = [];
  let rows = 0;
  for (const table of tables) {
    const parts: string[] = [];
    const tableRows = await queryRows<Record<string, unknown>>(db, sql.raw(`SELECT * FROM "${table}"`));
    rows += tableRows.length;
    for (const row of tableRows) for (const value of Object.values(row)) flatten(value, parts);
    const haystack = parts.join("\n");
    const haystackLower = haystack.toLowerCase();
    secrets.forEach((secret, index) => {
      if (haystack.includes(secret) || haystackLower.includes(Buffer.from(secret, "utf8").toString("hex"))) {
        found.push(`${table}: secret ${index}`);
      }
    });
  }
  return { found, tables, rows };
}
