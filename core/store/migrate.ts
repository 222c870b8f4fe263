// Applies the SQL migrations in core/store/migrations in file-name order, each once, each in
// its own transaction, and records them with a checksum so an edited, already-applied
// migration is refused instead of silently diverging.
//
// Why hand-written SQL and not drizzle-kit's generated migrations: the schema's safety lives
// in what drizzle-kit does not generate (triggers that make the journal append-only, plpgsql
// posting functions, deferred constraint triggers), and several engineers add migrations in
// parallel; number ranges per area (0100 core, 0200 keys, 0300 ledger, 0400 indexer,
// 0500 resale, 0600 payments) keep them from colliding. The Drizzle table definitions in
// core/store/schema are checked against the migrated database by test/store/schema.test.ts.
//
// Functions are repeatable: core/store/functions holds one file per database function
// (CREATE OR REPLACE FUNCTION, its current definition), applied after the migrations whenever
// its checksum differs from the one recorded in schema_functions. Changing a function is an
// edit of its file, not a migration that copies the whole body to change a few lines. A
// migration still creates a function's first version when a trigger or view of that migration
// needs it, and drops a function whose signature changes (CREATE OR REPLACE cannot).
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "./database.ts";

const migrationsDir = fileURLToPath(new URL("./migrations/", import.meta.url));
const functionsDir = fileURLToPath(new URL("./functions/", import.meta.url));

// Serialises concurrent migrators (several processes starting at once) on a server.
const migrationLockId = 7_245_001;

export type Migration = { name: string; sql: string; checksum: string };

export async function readMigrations(): Promise<Migration[]> {
  return readSqlFiles(migrationsDir);
}

/** The repeatable function files, by file name; `directory` is for tests. */
export async function readFunctionFiles(directory: string = functionsDir): Promise<Migration[]> {
  return readSqlFiles(directory);
}

async function readSqlFiles(directory: string): Promise<Migration[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith(".sql")).sort();
  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(join(directory, name), "utf8");
      return { name, sql: text, checksum: createHash("sha256").update(text).digest("hex") };
    }),
  );
}

export type MigrateOptions = { /** For tests: another directory of function files. */ functionsDir?: string };

type Runner = { exec(text: string): Promise<void>; rows<R>(text: string, params?: unknown[]): Promise<R[]> };

/**
 * Applies the pending migrations, then the function files that changed. Returns what it applied:
 * migration file names, and function files as `functions/<file>`.
 */
export async function migrate(database: Database, options: MigrateOptions = {}): Promise<string[]> {
  const migrations = await readMigrations();
  const functions = await readFunctionFiles(options.functionsDir);
  if (database.pglite) {
    const client = database.pglite;
    const runner: Runner = {
      exec: async (text) => void (await client.exec(text)),
      rows: async <R>(text: string, params?: unknown[]) => (await client.query<R>(text, params)).rows,
    };
    return [...(await applyAll(migrations, runner)), ...(await applyFunctions(functions, runner))];
  }
  const client = await database.pool!.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [migrationLockId]);
    const runner: Runner = {
      exec: async (text) => void (await client.query(text)),
      rows: async <R>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as R[],
    };
    return [...(await applyAll(migrations, runner)), ...(await applyFunctions(functions, runner))];
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [migrationLockId]).catch(() => {});
    client.release();
  }
}

async function applyAll(migrations: Migration[], runner: Runner): Promise<string[]> {
  await runner.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const applied = new Map(
    (await runner.rows<{ name: string; checksum: string }>("SELECT name, checksum FROM schema_migrations")).map((row) => [row.name, row.checksum]),
  );
  const appliedNow: string[] = [];
  for (const migration of migrations) {
    const checksum = applied.get(migration.name);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        throw new Error(`Migration ${migration.name} was changed after it was applied. Add a new migration instead of editing an applied one.`);
      }
      continue;
    }
    await runner.exec("BEGIN");
    try {
      await runner.exec(migration.sql);
      await runner.rows("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", [migration.name, migration.checksum]);
      await runner.exec("COMMIT");
    } catch (error) {
      await runner.exec("ROLLBACK");
      throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
    }
    appliedNow.push(migration.name);
  }
  return appliedNow;
}

/** Applies each function file whose checksum differs from the recorded one, each in its own transaction. */
async function applyFunctions(files: Migration[], runner: Runner): Promise<string[]> {
  await runner.exec(
    `CREATE TABLE IF NOT EXISTS schema_functions (
       name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const applied = new Map(
    (await runner.rows<{ name: string; checksum: string }>("SELECT name, checksum FROM schema_functions")).map((row) => [row.name, row.checksum]),
  );
  const appliedNow: string[] = [];
  for (const file of files) {
    if (applied.get(file.name) === file.checksum) continue;
    await runner.exec("BEGIN");
    try {
      await runner.exec(file.sql);
      await runner.rows(
        `INSERT INTO schema_functions (name, checksum) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()`,
        [file.name, file.checksum],
      );
      await runner.exec("COMMIT");
    } catch (error) {
      await runner.exec("ROLLBACK");
      throw new Error(`Function file ${file.name} failed: ${(error as Error).message}`, { cause: error });
    }
    appliedNow.push(`functions/${file.name}`);
  }
  return appliedNow;
}
