// Minimal types for pg-copy-streams 7 (it ships none): COPY ... FROM STDIN as a writable stream,
// COPY ... TO STDOUT as a readable one (bench:scale reads the ledger chain with it).
declare module "pg-copy-streams" {
  import type { Readable, Writable } from "node:stream";
  export function from(text: string): Writable & { submit(connection: unknown): void };
  export function to(text: string): Readable & { submit(connection: unknown): void };
}
