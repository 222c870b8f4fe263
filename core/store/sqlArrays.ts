// Drizzle expands a JavaScript array into a row of parameters ($1, $2, ...), which PostgreSQL
// caps at 1,664 and cannot cast to an array. These helpers pass a whole array as one text
// parameter in PostgreSQL's array literal form instead; callers cast it (::bigint[]).
// integerArrayLiteral and hexArrayLiteral take only values whose text needs no quoting.
export function integerArrayLiteral(values: readonly (bigint | number | string)[]): string {
  return `{${values
    .map((value) => {
      const text = String(value);
      if (!/^-?\d+$/.test(text)) throw new Error(`not an integer: ${text}`);
      return text;
    })
    .join(",")}}`;
}

export function hexArrayLiteral(values: readonly Uint8Array[]): string {
  return `{${values.map((value) => Buffer.from(value).toString("hex")).join(",")}}`;
}

/** Any strings: each element double-quoted, with backslashes and quotes escaped; null is NULL. */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  return `{${values.map((value) => (value === null ? "NULL" : `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)).join(",")}}`;
}

/** bytea[]: each element quoted hex input ("\\x..."), its backslash escaped inside the array literal; null is NULL. */
export function byteaArrayLiteral(items: readonly (Uint8Array | null)[]): string {
  return `{${items.map((item) => (item === null ? "NULL" : `"\\\\x${Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString("hex")}"`)).join(",")}}`;
}
