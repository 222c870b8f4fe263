// Database functions live in repeatable files (core/store/functions), applied after the
// migrations whenever a file's checksum differs from the recorded one: an edited file is
// re-applied once, an unchanged one never, on both stores. (When the files were created they
// held exactly the last definition each function had in the migrations, byte for byte.)
import { expect } from "chai";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { migrate } from "../../core/store/migrate.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";

const storeDir = fileURLToPath(new URL("../../core/store/", import.meta.url));

/** Every CREATE [OR REPLACE] FUNCTION statement of a SQL text, by function name, last one winning. */
function functionStatements(text: string): Map<string, string> {
  const found = new Map<string, string>();
  const start = /CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+([a-z_0-9]+)\s*\(/gi;
  for (let match = start.exec(text); match; match = start.exec(text)) {
    const rest = text.slice(match.index);
    const open = /\$[a-z_]*\$/.exec(rest)!;
    const close = rest.indexOf(open[0], open.index + open[0].length);
    const end = rest.indexOf(";", close);
    found.set(match[1]!, rest.slice(0, end + 1).replace(/^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION/i, "CREATE FUNCTION"));
  }
  return found;
}

describe("repeatable function files", () => {
  it("one file per function; no migration redefines a function after its file took it over", async () => {
    const migrationNames = (await readdir(join(storeDir, "migrations"))).filter((name) => name.endsWith(".sql")).sort();
    const definedIn = new Map<string, string[]>();
    for (const name of migrationNames) {
      for (const fn of functionStatements(await readFile(join(storeDir, "migrations", name), "utf8")).keys())
        definedIn.set(fn, [...(definedIn.get(fn) ?? []), name]);
    }
    const files = (await readdir(join(storeDir, "functions"))).filter((name) => name.endsWith(".sql")).sort();
    // Every function the migrations define has its file (the files are where functions change).
    expect(files.map((name) => name.replace(/\.sql$/, ""))).to.deep.equal([...definedIn.keys()].sort());
    for (const file of files) {
      const text = await readFile(join(storeDir, "functions", file), "utf8");
      const name = file.replace(/\.sql$/, "");
      expect([...functionStatements(text).keys()], file).to.deep.equal([name]);
      // The file names the migration it took over from; a later migration redefining the
      // function would be silently overwritten by the file after every migrate.
      const takenOverFrom = /last written by migration (\S+\.sql)/.exec(text)?.[1];
      expect(takenOverFrom, `${file} names its migration`).to.be.a("string");
      expect(definedIn.get(name)!.at(-1), `${name} is redefined by a migration after ${takenOverFrom}: edit ${file} instead`).to.equal(takenOverFrom);
    }
  });

  for (const [label, create] of [
    ["PostgreSQL server", createServerDatabase],
    ["PGlite", createPgliteDatabase],
  ] as const) {
    describe(`on ${label}`, () => {
      let database: TestDatabase;
      let directory: string;
      before(async () => {
        database = await create();
        directory = await mkdtemp(join(tmpdir(), "keyledger-functions-"));
        await cp(join(storeDir, "functions"), directory, { recursive: true });
      });
      after(async () => {
        await database.drop();
        await rm(directory, { recursive: true, force: true });
      });

      it("records every file once; unchanged files are not applied again", async () => {
        const files = (await readdir(join(storeDir, "functions"))).filter((name) => name.endsWith(".sql")).sort();
        const rows = await queryRows<{ name: string }>(database.db, sql`SELECT name FROM schema_functions ORDER BY name`);
        expect(rows.map((row) => row.name)).to.deep.equal(files);
        const before = await queryRows<{ name: string; applied_at: Date }>(database.db, sql`SELECT name, applied_at FROM schema_functions ORDER BY name`);
        expect(await migrate(database)).to.deep.equal([]);
        const after = await queryRows<{ name: string; applied_at: Date }>(database.db, sql`SELECT name, applied_at FROM schema_functions ORDER BY name`);
        expect(after).to.deep.equal(before);
      });

      it("re-applies a changed file, once, and the database runs the new definition", async () => {
        const file = join(directory, "ledger_reject_change.sql");
        const original = await readFile(file, "utf8");
        const changed = original.replace("ledger rows are append-only:", "ledger rows stay as written:");
        expect(changed).to.not.equal(original);
        await writeFile(file, changed);
        expect(await migrate(database, { functionsDir: directory })).to.deep.equal(["functions/ledger_reject_change.sql"]);
        expect(await migrate(database, { functionsDir: directory })).to.deep.equal([]);
        const source = await queryOne<{ prosrc: string }>(database.db, sql`SELECT prosrc FROM pg_proc WHERE proname = 'ledger_reject_change'`);
        expect(source!.prosrc).to.contain("ledger rows stay as written:");
        let message = "";
        try {
          await database.db.execute(sql`TRUNCATE ledger_transactions CASCADE`);
        } catch (error) {
          message = String((error as Error).message) + String((error as { cause?: Error }).cause?.message ?? "");
        }
        expect(message).to.contain("ledger rows stay as written: TRUNCATE on ledger_transactions");
        // Back to the shipped file: applied again, and the shipped text is what runs.
        expect(await migrate(database)).to.deep.equal(["functions/ledger_reject_change.sql"]);
        const restored = await queryOne<{ prosrc: string }>(database.db, sql`SELECT prosrc FROM pg_proc WHERE proname = 'ledger_reject_change'`);
        expect(restored!.prosrc).to.contain("ledger rows are append-only:");
      });
    });
  }
});
