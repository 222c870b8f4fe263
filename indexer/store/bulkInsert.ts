// Bulk inserts. On a PostgreSQL server rows go through COPY FROM STDIN (the fastest way into
// PostgreSQL: one stream, no per-row statement, no parameter arrays to escape); on PGlite they
// go through one INSERT ... SELECT FROM unnest(column arrays). Either way one table is one round
// trip, inside the caller's transaction.
import type { SqlSession } from "./session.ts";

/** [column name, PostgreSQL type]; an array type ends with []. */
export type Column = readonly [string, string];

const needsEscape = /[\\\t\n\r]/;

function escapeCopyText(text: string): string {
  if (!needsEscape.test(text)) return text;
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

// Array elements here are hex strings and numbers; anything else is quoted as an array element.
function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map((value) => {
    const text = String(value);
    return /^[0-9A-Za-z]+$/.test(text) ? text : `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  }).join(",")}}`;
}

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (typeof value === "string") return escapeCopyText(value);
  if (typeof value === "bigint" || typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "t" : "f";
  if (Array.isArray(value)) return escapeCopyText(arrayLiteral(value));
  return escapeCopyText(JSON.stringify(value, (_key, inner) => (typeof inner === "bigint" ? inner.toString() : inner)));
}

export async function bulkInsert(session: SqlSession, table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[]): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map(([name]) => name).join(", ");
  if (session.copyFrom) {
    let text = "";
    for (const row of rows) {
      let line = "";
      for (let index = 0; index < row.length; index++) line += (index === 0 ? "" : "\t") + copyValue(row[index]);
      text += `${line}\n`;
    }
    await session.copyFrom(`COPY ${table} (${names}) FROM STDIN`, text);
    return;
  }
  const placeholders: string[] = [];
  const selects: string[] = [];
  const parameters = columns.map(([, type], position) => {
    const isArray = type.endsWith("[]");
    placeholders.push(`$${position + 1}::${isArray ? "text" : type}[]`);
    selects.push(isArray ? `c${position}::${type}` : `c${position}`);
    return rows.map((row) => {
      const value = row[position];
      if (value === null || value === undefined) return null;
      if (isArray) return arrayLiteral(value as unknown[]);
      if (typeof value === "object") return JSON.stringify(value, (_key, inner) => (typeof inner === "bigint" ? inner.toString() : inner));
      return value;
    });
  });
  const aliases = columns.map((_, position) => `c${position}`).join(", ");
  await session.query(`INSERT INTO ${table} (${names}) SELECT ${selects.join(", ")} FROM unnest(${placeholders.join(", ")}) AS u(${aliases})`, parameters);
}
