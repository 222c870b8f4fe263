// A connection the server cuts (a PostgreSQL restart, an administrator's pg_terminate_backend)
// while a transaction holds it must fail that transaction, not the process: the workers process
// crashed with an unhandled 'error' event from a checked-out pg client in the PostgreSQL
// restart drill (docs/drills.md). The pool then goes on with new connections.
import { expect } from "chai";
import pg from "pg";
import { queryOne, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { testEnv } from "../support/env.ts";

describe("store: a connection cut while a transaction holds it", () => {
  let database: TestDatabase;
  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 2 });
  });
  after(async () => {
    await database?.drop();
  });

  it("fails the transaction and keeps the process and the pool working", async () => {
    let backendPid: number | undefined;
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    const transaction = database.db.transaction(async (tx) => {
      backendPid = (await queryOne<{ pid: number }>(tx, sql`SELECT pg_backend_pid() AS pid`))!.pid;
      // Between two statements the client is checked out and idle: what the server's cut finds.
      await paused;
      await queryOne(tx, sql`SELECT 1 AS one`);
    });
    while (backendPid === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    const admin = new pg.Client({ connectionString: testEnv.pgAdminUrl });
    await admin.connect();
    try {
      expect((await admin.query("SELECT pg_terminate_backend($1) AS done", [backendPid])).rows[0].done).to.equal(true);
    } finally {
      await admin.end();
    }
    // Let the client see its socket close before the transaction goes on.
    await new Promise((resolve) => setTimeout(resolve, 300));
    resume();
    const failure = await transaction.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure, "the transaction on the cut connection").to.be.instanceOf(Error);
    const after = await queryOne<{ pid: number }>(database.db, sql`SELECT pg_backend_pid() AS pid`);
    expect(after!.pid).to.be.a("number").and.not.equal(backendPid);
  });
});
