// Read routing to a streaming-replication hot standby (DATABASE_REPLICA_URL; docs/deployment.md,
// "Read replica"). A read-only route asks `db()` for the database to read; it gets the replica
// only once the replica has replayed the primary's WAL up to a position the primary reported
// after the request asked, so it sees every commit that finished before the request arrived:
// the caller's own writes (read-your-writes) and everybody else's (no staleness at all, not just
// a bound). Otherwise, within DATABASE_REPLICA_WAIT_MS, it gets the primary.
//
// The check is shared: one round of two one-row statements (the primary's pg_current_wal_lsn(),
// the replica's pg_last_wal_replay_lsn()) serves every request that was waiting when the round
// began, so its cost does not grow with the read rate. A replica that is not in recovery (it was
// promoted, or is a primary by mistake) or does not answer is not used.
import { queryOne, sql, type Database, type Drizzle } from "./database.ts";

export type ReplicaReads = {
  /** The database a read-only request reads: the replica when it is known to be current, else the primary. */
  db(): Promise<Drizzle>;
  /** Reads answered from the replica and from the primary since the start (for metrics and tests). */
  counts: { replica: number; primary: number };
  close(): Promise<void>;
};

type Waiter = (useReplica: boolean) => void;

const replayPollMs = 2;

/** The replica reads of a primary and its replica; `waitMs` is DATABASE_REPLICA_WAIT_MS. */
export function createReplicaReads(primary: Database, replica: Database, options: { waitMs: number }): ReplicaReads {
  const counts = { replica: 0, primary: 0 };
  let waiting: Waiter[] = [];
  let roundRunning = false;

  // One round: the primary's position now (after every waiter of this round asked), then the
  // replica's replay position until it reaches it or the wait is over.
  const round = async (batch: Waiter[]) => {
    let useReplica = false;
    try {
      const target = await queryOne<{ lsn: string }>(primary.db, sql`SELECT pg_current_wal_lsn()::text AS lsn`);
      const deadline = performance.now() + options.waitMs;
      for (;;) {
        const state = await queryOne<{ recovering: boolean; caught_up: boolean | null }>(
          replica.db,
          sql`SELECT pg_is_in_recovery() AS recovering, pg_last_wal_replay_lsn() >= ${target!.lsn}::pg_lsn AS caught_up`,
        );
        if (!state?.recovering) break;
        if (state.caught_up) {
          useReplica = true;
          break;
        }
        if (performance.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, replayPollMs));
      }
    } catch {
      // Either server did not answer: the primary answers the read (or fails it as any read would).
    }
    for (const resolve of batch) resolve(useReplica);
  };

  const run = async () => {
    roundRunning = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting;
        waiting = [];
        await round(batch);
      }
    } finally {
      roundRunning = false;
    }
  };

  return {
    counts,
    async db() {
      const useReplica = await new Promise<boolean>((resolve) => {
        waiting.push(resolve);
        if (!roundRunning) void run();
      });
      counts[useReplica ? "replica" : "primary"] += 1;
      return useReplica ? replica.db : primary.db;
    },
    close: () => replica.close(),
  };
}

/** The database a read-only route reads: the replica reads' choice when a replica is configured, else the primary. */
export function readDatabase(context: { database: Database; replicaReads?: ReplicaReads }): Promise<Drizzle> {
  return context.replicaReads ? context.replicaReads.db() : Promise.resolve(context.database.db);
}
