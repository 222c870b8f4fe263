// Minimal types for pg-copy-streams 7 (it ships none): COPY ... FROM STDIN as a writable stream.
declare module "pg-copy-streams" {
  import type { Writable } from "node:stream";
  export function from(text: string): Writable & { submit(connection: unknown): void };
}
