// The settings every platform connection to a PostgreSQL server starts with (core/store/database.ts).
import { expect } from "chai";
import { openDatabase, queryOne, sql } from "../../core/store/database.ts";
import { testEnv } from "../support/env.ts";

describe("store: connection settings", () => {
  it("turns JIT off on every pooled connection, whichever connection a statement gets", async () => {
    const database = await openDatabase({ url: testEnv.pgAdminUrl, poolSizeMax: 3 });
    try {
      // Three statements at once take three connections of the pool.
      const answers = await Promise.all(
        [0, 1, 2].map(() =>
          queryOne<{ jit: string; pid: number }>(database.db, sql`SELECT current_setting('jit') AS jit, pg_backend_pid() AS pid, pg_sleep(0.05)`),
        ),
      );
      expect(new Set(answers.map((answer) => answer!.pid)).size).to.equal(3);
      for (const answer of answers) expect(answer!.jit).to.equal("off");
      // The server's own default is on: the setting comes from the connection, not the server.
      const server = await queryOne<{ boot: string }>(database.db, sql`SELECT boot_val AS boot FROM pg_settings WHERE name = 'jit'`);
      expect(server!.boot).to.equal("on");
    } finally {
      await database.close();
    }
  });
});
