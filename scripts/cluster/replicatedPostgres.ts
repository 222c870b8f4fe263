// A PostgreSQL primary and a streaming-replication hot standby on this machine, for the cluster
// (docs/deployment.md, "One machine, every part twice"): Debian's binaries, private data
// directories in a temporary directory, the standby made by `pg_basebackup -R` (a base backup
// that writes its own primary_conninfo and standby.signal), each on its own free port. The
// primary trusts local connections, replication ones included (initdb -A trust).
import { spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { isRoot } from "../lib/debianPackages.ts";
import { freePort } from "../lib/localChain.ts";
import { postgresBinDir, startServer, systemUser } from "../lib/localPostgres.ts";

export type PostgresServer = { port: number; url: string; running(): boolean; stop(): Promise<void>; kill(): void };

export type ReplicatedPostgres = {
  primary: PostgresServer;
  standby: PostgresServer;
  /** Promotes the standby (pg_promote, waiting until it accepts writes). */
  promoteStandby(): Promise<void>;
  stop(): Promise<void>;
};

const serverSettings = ["wal_level=replica", "max_wal_senders=10", "hot_standby=on", "wal_keep_size=256MB", "max_connections=200"];

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error("keyledger: PostgreSQL's server binaries (initdb, postgres, pg_basebackup) are not installed.");
  const owner = isRoot() ? systemUser("postgres") : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyledger-cluster-pg-"));
  const servers: { stop(): Promise<void> }[] = [];
  const removeAll = async () => {
    for (const server of servers.reverse()) await server.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const run = (command: string, args: string[]) => {
      const result = spawnSync(path.join(binDir, command), args, { cwd: dir, encoding: "utf8", ...owner });
      if (result.status !== 0) throw new Error(`keyledger: ${command} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stderr}`);
    };
    const primaryDir = path.join(dir, "primary");
    const standbyDir = path.join(dir, "standby");
    run("initdb", ["-D", primaryDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"]);
    const primaryPort = await freePort();
    const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
    const primary = await startServer(binDir, primaryDir, dir, primaryPort, primaryUrl, owner, serverSettings);
    servers.push(primary);
    // -R writes primary_conninfo and standby.signal; -X stream copies the WAL written meanwhile.
    run("pg_basebackup", ["-D", standbyDir, "-h", "127.0.0.1", "-p", String(primaryPort), "-U", "postgres", "-R", "-X", "stream", "--no-sync"]);
    const standbyPort = await freePort();
    const standbyUrl = `postgres://postgres@127.0.0.1:${standbyPort}/postgres`;
    const standby = await startServer(binDir, standbyDir, dir, standbyPort, standbyUrl, owner, serverSettings);
    servers.push(standby);
    const serverOf = (port: number, url: string, server: typeof primary): PostgresServer => ({
      port,
      url,
      running: () => server.process.exitCode === null && server.process.signalCode === null,
      stop: () => server.stop(),
      kill: () => server.process.kill("SIGKILL"),
    });
    return {
      primary: serverOf(primaryPort, primaryUrl, primary),
      standby: serverOf(standbyPort, standbyUrl, standby),
      async promoteStandby() {
        const client = new pg.Client({ connectionString: standbyUrl });
        await client.connect();
        try {
          await client.query("SELECT pg_promote(true, 60)");
        } finally {
          await client.end();
        }
      },
      stop: removeAll,
    };
  } catch (error) {
    await removeAll();
    throw error;
  }
}
