// PostgreSQL array literals for bytea[] parameters. Drizzle's sql template expands a JS array
// into a parameter list, so a bytea[] travels as one text parameter cast with ::bytea[]; hex
// bytea input inside a quoted array element needs its backslash escaped.
export function byteaArrayLiteral(items: readonly Uint8Array[]): string {
  return `{${items.map((item) => `"\\\\x${Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString("hex")}"`).join(",")}}`;
}
