// Starts a private PostgreSQL cluster in a temporary directory on a free port, for `npm test`
// when nothing answers at KEYLEDGER_TEST_PG_URL (a fresh machine). The cluster trusts local
// connections as user postgres, listens on 127.0.0.1 and keeps its socket in its own directory,
// and is deleted when stopped. It runs with fsync off: it is thrown away after the run, so
// durability buys nothing and costs the suites time.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { DebianPiece } from "./debianPackages.ts";
import { isRoot } from "./debianPackages.ts";
import { freePort } from "./localChain.ts";
import { stopChild } from "./stopChild.ts";

export type LocalPostgres = {
  url: string;
  /** Stops the server the fast way (open connections are cut) and starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
};

/** Where initdb and postgres are: Debian keeps them out of PATH, one folder per major version (newest wins). */
export function postgresBinDir(): string | undefined {
  const debianRoot = "/usr/lib/postgresql";
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((version) => existsSync(path.join(debianRoot, version, "bin", "initdb")) && existsSync(path.join(debianRoot, version, "bin", "postgres")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(debianRoot, versions[0], "bin");
  }
  // Other layouts (another distribution, a source build) put initdb on PATH.
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim()) return path.dirname(which.stdout.trim());
  return undefined;
}

export const postgresServerPiece: DebianPiece = {
  what: "PostgreSQL (initdb, postgres)",
  debianPackage: "postgresql",
  present: () => postgresBinDir() !== undefined,
};

export async function startLocalPostgres(): Promise<LocalPostgres> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error("keyledger: PostgreSQL's server binaries (initdb, postgres) are not installed.");
  // PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` system
  // user that Debian's package creates.
  const owner = isRoot() ? systemUser("postgres") : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyledger-pg-"));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const dataDir = path.join(dir, "data");
    const initdb = spawnSync(
      path.join(binDir, "initdb"),
      ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
      { cwd: dir, encoding: "utf8", ...owner },
    );
    if (initdb.status !== 0) throw new Error(`keyledger: initdb failed (${initdb.error?.message ?? `exit ${initdb.status}`}):\n${initdb.stderr}`);

    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    let server = await startServer(binDir, dataDir, dir, port, url, owner);
    return {
      url,
      async restart() {
        await server.stop();
        server = await startServer(binDir, dataDir, dir, port, url, owner);
      },
      async stop() {
        await server.stop();
        removeDir();
      },
    };
  } catch (error) {
    removeDir();
    throw error;
  }
}

/** Runs `postgres` on the cluster in dataDir and waits until it answers at url; `settings` are more `-c name=value`. */
export async function startServer(
  binDir: string,
  dataDir: string,
  dir: string,
  port: number,
  url: string,
  owner: { uid: number; gid: number } | undefined,
  settings: string[] = [],
): Promise<{ stop(): Promise<void>; process: ChildProcess }> {
  const child = spawn(
    path.join(binDir, "postgres"),
    [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "full_page_writes=off",
      ...settings.flatMap((setting) => ["-c", setting]),
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"], ...owner },
  );
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  // SIGINT is PostgreSQL's fast shutdown (pg_ctl -m fast): it does not wait for clients to disconnect.
  const stop = () => stopChild(child, 10_000, "SIGINT");
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`keyledger: the private PostgreSQL exited early (code ${child.exitCode}):\n${output}`);
    if ((await postgresUnreachableReason(url, 1_000)) === undefined) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`keyledger: the private PostgreSQL did not answer within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { stop, process: child };
}

/** Connects once; undefined when the server answers, else why not. */
export async function postgresUnreachableReason(url: string, timeoutMs = 3_000): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => {}); // a dropped connection after the check is not this check's business
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

export function systemUser(name: string): { uid: number; gid: number } {
  const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(`keyledger: PostgreSQL cannot run as root and there is no \`${name}\` system user to run it (Debian's postgresql package creates one).`);
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
