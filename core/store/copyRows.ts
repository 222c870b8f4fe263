// COPY ... FROM STDIN through Drizzle, for the API's and workers' bulk writes (key imports):
// on a PostgreSQL server one stream of text rows is the fastest way in, with no statement text
// or parameter array to build and escape per row (Drizzle's SQL objects for a 1,000-row
// multi-row INSERT cost more CPU than the rows' encryption). PGlite has no COPY FROM STDIN
// through its driver, so callers keep an INSERT for it: copyClientOf says which to use.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Drizzle } from "./database.ts";

/**
 * The node-postgres client a Drizzle transaction runs on, or undefined (PGlite, or a pool
 * outside a transaction, where a COPY would not be part of the caller's transaction).
 */
export function copyClientOf(tx: Drizzle): pg.ClientBase | undefined {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  return client instanceof pg.Client ? client : undefined;
}

/** Streams `text` (COPY text format, one row a line) into `statement` on the transaction's client. */
export async function copyText(client: pg.ClientBase, statement: string, text: string): Promise<void> {
  await pipeline(Readable.from([Buffer.from(text, "utf8")]), client.query(copyFrom(statement)) as unknown as NodeJS.WritableStream);
}

/** A bytea value in COPY text form: hex input (\x...), its backslash escaped for COPY. */
export function copyBytea(bytes: Uint8Array): string {
  return `\\\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** A bytea[] value in COPY text form: the array literal of quoted hex elements, escaped for COPY. */
export function copyByteaArray(items: readonly Uint8Array[]): string {
  let text = "{";
  for (let index = 0; index < items.length; index++) {
    const item = items[index]!;
    // "\\x…" in the array literal (an escaped backslash), each backslash doubled again for COPY.
    text += `${index === 0 ? "" : ","}"\\\\\\\\x${Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString("hex")}"`;
  }
  return `${text}}`;
}

/** Whether this store takes COPY (a PostgreSQL server through node-postgres; not PGlite). */
export function storeTakesCopy(db: Drizzle): boolean {
  const client = (db as unknown as { $client?: unknown }).$client;
  return client instanceof pg.Pool || client instanceof pg.Client;
}
