// Byte strings (bytea) as the store returns them: one conversion for both drivers. node-postgres
// turns bytea into a Buffer; PGlite, left alone, into a plain Uint8Array, whose toString("hex")
// is not hex at all ("231,212,194,..."). Both drivers are given this same parser
// (api/store/database.ts), so every bytea and bytea[] read from either store is a Buffer, and
// byteaHex is the one way a read byte string becomes the 0x-hex that APIs, logs and
// comparisons with chain values use.
import pg from "pg";
import type { Hex } from "viem";

/** PostgreSQL's type id of bytea (its arrays, bytea[], are parsed element by element with it). */
export const byteaTypeId = 17;

/** node-postgres's own bytea parser (hex and escape output formats), giving a Buffer. */
export const parseBytea = pg.types.getTypeParser(byteaTypeId, "text") as (value: string) => Buffer;

/** The 0x-prefixed lowercase hex of a byte string, whichever driver read it. */
export function byteaHex(value: Uint8Array): Hex {
  return `0x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
}
