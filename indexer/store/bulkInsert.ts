// Bulk inserts. On a PostgreSQL server rows go through COPY FROM STDIN (the fastest way into
// PostgreSQL: one stream, no per-row statement, no parameter arrays to escape); on PGlite they
// go through one INSERT ... SELECT FROM unnest(column arrays). Either way one table is one round
// trip, inside the caller's transaction.
import type { SqlSession } from "./session.ts";
import { sql, type SQL } from "./sql.ts";

/** [column name, PostgreSQL type]; an array type ends with []. */
export type Column = readonly [string, string];

const needsEscape = /[\\\t\n\r]/;

function escapeCopyText(text: string): string {
  if (!needsEscape.test(text)) return text;
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

// Array elements here are hex strings and numbers; anything else is quoted as an array element.
function arrayLiteral(values: readonly unknown[]): string {
  return `{${values
    .map((value) => {
      const text = String(value);
      return /^[0-9A-Za-z]+$/.test(text) ? text : `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    })
    .join(",")}}`;
}

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (typeof value === "string") return escapeCopyText(value);
  if (typeof value === "bigint" || typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "t" : "f";
  if (Array.isArray(value)) return escapeCopyText(arrayLiteral(value));
  return escapeCopyText(jsonText(value));
}

// JSON with bigints as decimal strings. Decoded event arguments are flat (numbers, strings,
// booleans, arrays of those): they are written directly, which is several times faster than
// JSON.stringify with a replacer on the backfill's hot path.
function jsonText(value: unknown): string {
  if (typeof value === "bigint") return `"${value}"`;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (value !== null && typeof value === "object") {
    let text = "";
    for (const key in value) text += `${text === "" ? "" : ","}${JSON.stringify(key)}:${jsonText((value as Record<string, unknown>)[key])}`;
    return `{${text}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A write ready to send: built outside the transaction, so the CPU work of building it can
 * overlap with the database committing the previous range. */
export type PreparedWrite = { kind: "copy"; statement: string; text: string } | { kind: "query"; statement: SQL };

/** Builds the bulk insert of `rows` (COPY text when `copy`, else unnest column arrays); undefined when there are none. */
export function prepareBulkInsert(copy: boolean, table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[]): PreparedWrite | undefined {
  if (rows.length === 0) return undefined;
  const names = columns.map(([name]) => name).join(", ");
  if (copy) {
    const lines: string[] = new Array(rows.length);
    for (let rowIndex = 0; rowIndex < rows.length; rowIndex++) {
      const row = rows[rowIndex]!;
      let line = copyValue(row[0]);
      for (let index = 1; index < row.length; index++) line += `\t${copyValue(row[index])}`;
      lines[rowIndex] = line;
    }
    return { kind: "copy", statement: `COPY ${table} (${names}) FROM STDIN`, text: `${lines.join("\n")}\n` };
  }
  // Table, column and type names come from this code, never from input: sql.raw is safe here.
  const selects: string[] = [];
  const arrays = columns.map(([, type], position) => {
    const isArray = type.endsWith("[]");
    selects.push(isArray ? `c${position}::${type}` : `c${position}`);
    const values = rows.map((row) => {
      const value = row[position];
      if (value === null || value === undefined) return null;
      if (isArray) return arrayLiteral(value as unknown[]);
      if (typeof value === "object") return jsonText(value);
      return value;
    });
    // One parameter per column: the whole column as one array (sql.param), cast to its type.
    return sql`${sql.param(values)}::${sql.raw(isArray ? "text" : type)}[]`;
  });
  const aliases = sql.raw(columns.map((_, position) => `c${position}`).join(", "));
  return {
    kind: "query",
    statement: sql`INSERT INTO ${sql.raw(table)} (${sql.raw(names)}) SELECT ${sql.raw(selects.join(", "))} FROM unnest(${sql.join(arrays, sql`, `)}) AS u(${aliases})`,
  };
}

export async function runPrepared(session: SqlSession, writes: readonly PreparedWrite[]): Promise<void> {
  for (const write of writes) {
    if (write.kind === "copy") await session.copyFrom!(write.statement, write.text);
    else await session.query(write.statement);
  }
}
