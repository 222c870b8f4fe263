import { expect } from "chai";
import { queryRows, sql } from "../../core/store/database.ts";
import { migrate, readMigrations } from "../../core/store/migrate.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";

for (const [label, create] of [
  ["PostgreSQL server", createServerDatabase],
  ["PGlite", createPgliteDatabase],
] as const) {
  describe(`store migrations on ${label}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await create();
    });
    after(async () => {
      await database.drop();
    });

    it("applies every migration once and records it", async () => {
      const names = (await readMigrations()).map((migration) => migration.name);
      const rows = await queryRows<{ name: string }>(database.db, sql`SELECT name FROM schema_migrations ORDER BY name`);
      expect(rows.map((row) => row.name)).to.deep.equal(names);
      expect(await migrate(database)).to.deep.equal([]);
    });

    it("rejects a key state that does not exist", async () => {
      let message = "";
      try {
        await database.db.execute(sql`INSERT INTO accounts (email, password_hash, roles) VALUES ('x@y.z', 'h', ARRAY['pirate'])`);
      } catch (error) {
        message = String((error as Error).message) + String((error as { cause?: Error }).cause?.message ?? "");
      }
      expect(message).to.match(/accounts_roles_known/);
    });
  });
}
