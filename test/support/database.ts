// Isolated databases for suites: a fresh database on the real PostgreSQL server per call
// (dropped afterwards), or an in-memory PGlite for the embedded path.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "../../core/store/database.ts";
import { migrate } from "../../core/store/migrate.ts";
import { testEnv } from "./env.ts";

export type TestDatabase = Database & { url?: string; drop(): Promise<void> };

export async function createServerDatabase(options: { poolSizeMax?: number } = {}): Promise<TestDatabase> {
  const name = `kl_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: testEnv.pgAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(testEnv.pgAdminUrl, name);
  const database = await openDatabase({ url, poolSizeMax: options.poolSizeMax ?? 10 });
  await migrate(database);
  return {
    ...database,
    url,
    async drop() {
      await database.close();
      const dropper = new pg.Client({ connectionString: testEnv.pgAdminUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

export async function createPgliteDatabase(): Promise<TestDatabase> {
  const database = await openDatabase({ dataDir: "memory://" });
  await migrate(database);
  return { ...database, drop: () => database.close() };
}

export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
