// COPY ... FROM STDIN through Drizzle, for the API's and workers' bulk writes (key imports):
// on a PostgreSQL server one stream of binary rows is the fastest way in, with no statement text
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

/** Streams `text` (COPY text format, one row a line) into `statement` on the transaction's client (the bench's generators). */
export async function copyText(client: pg.ClientBase, statement: string, text: string): Promise<void> {
  await pipeline(Readable.from([Buffer.from(text, "utf8")]), client.query(copyFrom(statement)) as unknown as NodeJS.WritableStream);
}

/** Streams `rows` (COPY binary format, BinaryCopyRows) into `statement`, which must say FORMAT binary. */
export async function copyBinary(client: pg.ClientBase, statement: string, rows: Buffer): Promise<void> {
  await pipeline(Readable.from([rows]), client.query(copyFrom(statement)) as unknown as NodeJS.WritableStream);
}

// PostgreSQL's binary COPY format (the COPY reference, "Binary Format"): a signature, a flags
// word and a header-extension length, then per row a 16-bit field count and each field as a
// 32-bit byte length (-1 for NULL) followed by the value in the type's binary send form, then
// a 16-bit -1. Neither side encodes or parses text: for bytea the bytes themselves, where the
// text form doubles them as hex for this process to write and the server to decode.
const binaryCopySignature = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/**
 * Builds the rows of one COPY ... FROM STDIN (FORMAT binary) in one growing buffer. Each row
 * is row(fieldCount) followed by exactly that many field writes, in the statement's column order.
 */
export class BinaryCopyRows {
  private buffer: Buffer;
  private length = 0;

  constructor(sizeHint = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(sizeHint, 64));
    this.buffer.set(binaryCopySignature, 0);
    this.buffer.writeInt32BE(0, 11);
    this.buffer.writeInt32BE(0, 15);
    this.length = 19;
  }

  row(fieldCount: number): this {
    this.reserve(2).writeInt16BE(fieldCount, this.length);
    this.length += 2;
    return this;
  }

  int8(value: bigint): this {
    const target = this.reserve(12);
    target.writeInt32BE(8, this.length);
    target.writeBigInt64BE(value, this.length + 4);
    this.length += 12;
    return this;
  }

  int4(value: number): this {
    const target = this.reserve(8);
    target.writeInt32BE(4, this.length);
    target.writeInt32BE(value, this.length + 4);
    this.length += 8;
    return this;
  }

  bytea(value: Uint8Array): this {
    const target = this.reserve(4 + value.length);
    target.writeInt32BE(value.length, this.length);
    target.set(value, this.length + 4);
    this.length += 4 + value.length;
    return this;
  }

  /** The rows with the end-of-data marker; the builder is not to be used after. */
  finish(): Buffer {
    this.reserve(2).writeInt16BE(-1, this.length);
    this.length += 2;
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): Buffer {
    if (this.length + bytes > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.length + bytes));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    return this.buffer;
  }
}

/** Whether this store takes COPY (a PostgreSQL server through node-postgres; not PGlite). */
export function storeTakesCopy(db: Drizzle): boolean {
  const client = (db as unknown as { $client?: unknown }).$client;
  return client instanceof pg.Pool || client instanceof pg.Client;
}
