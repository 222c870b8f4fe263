// Hot statements run as named prepared statements (core/store/database.ts queryPreparedRows), so a
// pooled connection parses them once: on the pool, and inside a transaction on the connection the
// transaction holds (the sale path's group commits run in transactions). The server's own list of
// a session's prepared statements (pg_prepared_statements) is the answer, read outside the helper.
import { expect } from "chai";
import { queryOne, queryPreparedOne, queryPreparedRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

describe("store: named prepared statements", () => {
  let database: TestDatabase;
  before(async () => {
    // One connection: every call below runs on the same server session.
    database = await createServerDatabase({ poolSizeMax: 1 });
  });
  after(async () => {
    await database?.drop();
  });

  const preparedNamed = async (name: string) =>
    Number((await queryOne<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM pg_prepared_statements WHERE name = ${name}`))!.n);

  it("prepares a statement inside a transaction once on its connection, and answers with the values of each call", async () => {
    const answers: number[] = [];
    for (const value of [4, 9]) {
      await database.db.transaction(async (tx) => {
        const row = await queryPreparedOne<{ doubled: number }>(tx, "test_doubled_in_tx", sql`SELECT ${value}::int * 2 AS doubled`);
        answers.push(row!.doubled);
      });
    }
    expect(answers).to.deep.equal([8, 18]);
    expect(await preparedNamed("test_doubled_in_tx")).to.equal(1);
  });

  it("keeps a transaction's prepared statement inside the transaction: a rollback undoes what it wrote", async () => {
    await queryOne(database.db, sql`CREATE TABLE prepared_probe (n int)`);
    const failure = await database.db
      .transaction(async (tx) => {
        await queryPreparedRows(tx, "test_insert_probe", sql`INSERT INTO prepared_probe (n) VALUES (${1}::int) RETURNING n`);
        throw new Error("roll back");
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).to.be.instanceOf(Error);
    expect((await queryOne<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM prepared_probe`))!.n).to.equal("0");
    expect(await preparedNamed("test_insert_probe")).to.equal(1);
  });

  it("prepares a statement on the pool once per connection", async () => {
    const first = await queryPreparedOne<{ n: string }>(database.db, "test_pool_text", sql`SELECT ${"a"}::text || 'b' AS n`);
    const second = await queryPreparedOne<{ n: string }>(database.db, "test_pool_text", sql`SELECT ${"c"}::text || 'b' AS n`);
    expect([first!.n, second!.n]).to.deep.equal(["ab", "cb"]);
    expect(await preparedNamed("test_pool_text")).to.equal(1);
  });
});
