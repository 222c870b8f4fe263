// One writer per chain: a session-level PostgreSQL advisory lock held by the writer session's
// own connection. A second indexer waits here as a standby, polling pg_try_advisory_lock, and
// takes over the moment the first one's connection ends (a crash, kill -9, a network split:
// PostgreSQL releases session locks when the backend goes away).
import pg from "pg";
import type { IndexerDatabase as Database } from "./openIndexerDatabase.ts";
import { pgClientSession, pgliteSession, type SqlSession } from "./session.ts";

// The first key of the two-key advisory lock form: the indexer's namespace. The second key is
// the chain id, so indexers of different chains never wait for each other.
export const indexerLockNamespace = 7_245_400;

export type AcquireWriterLockParameters = {
  chainId: number;
  standbyPollMs: number;
  signal?: AbortSignal;
  onStandby?: () => void;
  /** Called if the lock connection fails after the lock was taken: the caller must stop. */
  onLost?: (error: Error) => void;
};

export type WriterSession = SqlSession & { lostSignal: AbortSignal };

export async function acquireWriterLock(database: Database, parameters: AcquireWriterLockParameters): Promise<WriterSession | undefined> {
  const lost = new AbortController();
  if (database.kind === "pglite") return { ...pgliteSession(database), lostSignal: lost.signal };
  const options = database.pool!.options;
  const client = new pg.Client({ ...options, application_name: `keyledger-indexer-${parameters.chainId}` } as pg.ClientConfig);
  client.on("error", (error) => {
    lost.abort(error);
    parameters.onLost?.(error);
  });
  await client.connect();
  const chainKey = parameters.chainId % 2_147_483_647;
  let announced = false;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS locked", [indexerLockNamespace, chainKey]);
    if (rows[0]?.locked) break;
    if (!announced) {
      parameters.onStandby?.();
      announced = true;
    }
    if (parameters.signal?.aborted) {
      await client.end();
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, parameters.standbyPollMs));
  }
  const session = pgClientSession(client, async () => {
    await client.end().catch(() => {});
  });
  return { ...session, lostSignal: lost.signal };
}
