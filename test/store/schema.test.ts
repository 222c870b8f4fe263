// The Drizzle definitions (core/store/schema) must match the migrated database: every column
// they declare exists with the same nullability, and no column of those tables is missing
// from them. Runs against the real PostgreSQL server.
import { expect } from "chai";
import { getTableConfig } from "drizzle-orm/pg-core";
import { queryRows, sql } from "../../core/store/database.ts";
import { coreTables } from "../../core/store/schema/core.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

describe("Drizzle schema matches the migrations", () => {
  let database: TestDatabase;
  before(async () => {
    database = await createServerDatabase();
  });
  after(async () => {
    await database.drop();
  });

  for (const table of Object.values(coreTables)) {
    const config = getTableConfig(table);
    it(`${config.name}: same columns and nullability`, async () => {
      const columns = await queryRows<{ column_name: string; is_nullable: "YES" | "NO" }>(
        database.db,
        sql`SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${config.name}`,
      );
      const inDatabase = Object.fromEntries(columns.map((column) => [column.column_name, column.is_nullable === "NO"]));
      const inSchema = Object.fromEntries(config.columns.map((column) => [column.name, column.notNull]));
      expect(inSchema).to.deep.equal(inDatabase);
    });
  }
});
