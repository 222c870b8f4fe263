// The platform as the fault drills run it: every part a separate real process that a drill can
// kill, as at scale (docs/drills.md). The API (api/main.ts), the workers (api/jobs/main.ts) and
// the indexer (indexer/main.ts) are children of this process; so are a private redis-server
// (without persistence, so that a restart brings back an empty one), a Hardhat node (the chain
// a drill can pause) and, unless a PostgreSQL server is given, a private PostgreSQL cluster (the
// one a drill can restart). Like a process supervisor (systemd, Kubernetes), this restarts a
// part that exits on its own, after a second, and counts it.
import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from "node:fs";
import { loadLimitsLifted } from "../lib/loadLimitsLifted.ts";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openDatabase, type Database } from "../../core/store/database.ts";
import { loadOrCreateDevSecrets } from "../lib/devSecrets.ts";
import { freePort, localChainAccounts, startLocalChain, type LocalChain } from "../lib/localChain.ts";
import { startLocalPostgres, type LocalPostgres } from "../lib/localPostgres.ts";
import { startLocalRedis, type LocalRedis } from "../lib/localRedis.ts";
import { deployLocal } from "../lib/platform.ts";
import { stopChild } from "../lib/stopChild.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export type PartName = "api" | "workers" | "indexer";

const entryPoints: Record<PartName, string> = {
  api: "api/main.ts",
  workers: "api/jobs/main.ts",
  indexer: "indexer/main.ts",
};

export type Part = {
  readonly name: PartName;
  /** The running process's id, undefined while it is down. */
  pid(): number | undefined;
  /**
   * Sends `signal` and resolves once the process exited, with how long that took; the supervisor
   * does not restart it. A process still running after `deadlineMs` is killed (SIGKILL) and
   * reported as `killed`.
   */
  stop(signal: NodeJS.Signals, deadlineMs?: number): Promise<{ exitedAfterMs: number; killed: boolean }>;
  /** Starts the process again (after stop). */
  start(): Promise<void>;
};

export type DrillPlatformOptions = {
  /** An admin URL of a PostgreSQL server to create the database on; unset: a private cluster that the PostgreSQL drill can restart. */
  pgAdminUrl?: string;
  /** Extra variables for every part. */
  env?: Record<string, string>;
  /** Where the parts' logs go (one file per part); a temporary directory when unset. */
  logDir?: string;
};

export type DrillPlatform = {
  url: string;
  env: Record<string, string>;
  sandboxSecret: string;
  rpcUrl: string;
  deploymentBlock: bigint;
  contractAddresses: string[];
  /** A pool of the drill's own, for its checks. */
  database: Database;
  parts: Record<PartName, Part>;
  redis: { kill(): Promise<void>; startEmpty(): Promise<void> };
  /** Undefined on a shared PostgreSQL server, which a drill must not restart. */
  postgres: { restart(): Promise<void> } | undefined;
  chain: { pause(): void; resume(): void };
  /** Exits no drill asked for, by part, since the start. */
  unplannedExits: Record<PartName, number>;
  logDir: string;
  stop(): Promise<void>;
};

// Settings the drills need to see results within their time: a killed worker's jobs are taken
// over after 10 s (30 s by default; at 5 s an import that held the event loop longer lost its
// lock and ran twice at once), the ledger is anchored every 5 s (5 minutes by default),
// unpaid orders expire after 30 s (the shortest allowed; 15 minutes by default), a local chain
// is final 3 blocks deep.
export const drillSettings = {
  JOB_LOCK_DURATION_MS: "10000",
  LEDGER_ANCHOR_INTERVAL_SECONDS: "5",
  ORDER_EXPIRY_SECONDS: "30",
  INDEXER_FINALITY_DEPTH: "3",
  INDEXER_POLL_INTERVAL_MS: "500",
  LEDGER_MERCHANT_FEE_CREDIT_MINOR: "1000000000",
  DATABASE_POOL_SIZE_MAX: "10",
  LOG_LEVEL: "warn",
};

export async function startDrillPlatform(options: DrillPlatformOptions = {}): Promise<DrillPlatform> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    stops.length = 0;
  };
  try {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-drill-"));
    stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const logDir = options.logDir ?? dataDir;
    const secrets = loadOrCreateDevSecrets(dataDir);

    let privatePostgres: LocalPostgres | undefined;
    if (!options.pgAdminUrl) {
      privatePostgres = await startLocalPostgres();
      const started = privatePostgres;
      stops.push(() => started.stop());
    }
    const adminUrl = options.pgAdminUrl ?? privatePostgres!.url;
    const databaseName = `kl_drill_${randomBytes(4).toString("hex")}`;
    await adminQuery(adminUrl, `CREATE DATABASE ${databaseName}`);
    stops.push(() => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
    const databaseUrl = new URL(adminUrl);
    databaseUrl.pathname = `/${databaseName}`;

    let redis: LocalRedis = await startLocalRedis();
    const redisPort = Number(new URL(redis.url).port);
    stops.push(() => redis.stop());

    const chain: LocalChain = await startLocalChain({ intervalMiningMs: 1_000 });
    stops.push(async () => {
      // A paused node would ignore SIGTERM until it runs again.
      chain.process.kill("SIGCONT");
      await chain.stop();
    });
    const deployed = await deployLocal(chain.rpcUrl);

    const port = await freePort();
    const env: Record<string, string> = {
      // The load checks out from one address with a few unpaid orders on purpose (docs/abuse.md).
      ...loadLimitsLifted,
      ...drillSettings,
      MASTER_KEY: secrets.MASTER_KEY,
      QUERY_PASSWORD_PEPPER: secrets.QUERY_PASSWORD_PEPPER,
      EPAY_SANDBOX_SECRET: secrets.EPAY_SANDBOX_SECRET,
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: redis.url,
      QUEUE_PREFIX: "kldrill",
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      CHAIN_RPC_URL: chain.rpcUrl,
      PUBLIC_RPC_URL: chain.rpcUrl,
      CHAIN_OPERATOR_KEY: localChainAccounts.deployer,
      ...deployed,
      ...options.env,
    };

    const unplannedExits: Record<PartName, number> = { api: 0, workers: 0, indexer: 0 };
    const parts = {} as Record<PartName, SupervisedPart>;
    for (const name of ["api", "workers", "indexer"] as const) {
      parts[name] = supervise(name, env, logDir, () => (unplannedExits[name] += 1));
      stops.push(() => parts[name].shutdown());
    }
    // The API migrates the database before it listens; the others start after it, so that two
    // processes never migrate at once.
    const url = `http://127.0.0.1:${port}`;
    await parts.api.start();
    // Generous: on a shared 2-core machine busy with a type-check, the API once took over 60 s to start.
    await waitUntilServing(url, 180_000);
    await parts.workers.start();
    await parts.indexer.start();

    const database = await openDatabase({ url: databaseUrl.toString(), poolSizeMax: 4, applicationName: "keyledger-drill" });
    stops.push(() => database.close());
    return {
      url,
      env,
      sandboxSecret: secrets.EPAY_SANDBOX_SECRET,
      rpcUrl: chain.rpcUrl,
      deploymentBlock: BigInt(deployed.DEPLOYMENT_BLOCK!),
      contractAddresses: [deployed.REGISTRY_ADDRESS!, deployed.ENTITLEMENT_ADDRESS!, deployed.PAYMENT_ADDRESS!, deployed.LEDGER_ANCHOR_ADDRESS!],
      database,
      parts,
      redis: {
        async kill() {
          redis.process.kill("SIGKILL");
          await new Promise((resolve) =>
            redis.process.exitCode !== null || redis.process.signalCode !== null ? resolve(undefined) : redis.process.once("exit", resolve),
          );
        },
        async startEmpty() {
          redis = await startLocalRedis(undefined, { port: redisPort });
        },
      },
      postgres: privatePostgres ? { restart: () => privatePostgres!.restart() } : undefined,
      chain: {
        pause: () => chain.process.kill("SIGSTOP"),
        resume: () => chain.process.kill("SIGCONT"),
      },
      unplannedExits,
      logDir,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export type SupervisedPart = Part & { shutdown(): Promise<void> };

// Restarts a part that exited without a drill asking, a second later (a supervisor's restart
// delay), and counts it. `instance` names the log file when a part runs more than once (the cluster).
export function supervise(name: PartName, env: Record<string, string>, logDir: string, onUnplannedExit: () => void, instance: string = name): SupervisedPart {
  let child: ChildProcess | undefined;
  let wanted = false;
  let log: WriteStream | undefined;
  const launch = () => {
    log ??= createWriteStream(path.join(logDir, `${instance}.log`), { flags: "a" });
    const started = spawn(process.execPath, [`${root}${entryPoints[name]}`], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    started.stdout!.pipe(log, { end: false });
    started.stderr!.pipe(log, { end: false });
    started.once("exit", (code, signal) => {
      log?.write(`--- ${instance} exited (code ${code}, signal ${signal}) at ${new Date().toISOString()}\n`);
      if (child !== started) return;
      child = undefined;
      if (!wanted) return;
      onUnplannedExit();
      setTimeout(() => {
        if (wanted && !child) launch();
      }, 1_000);
    });
    child = started;
  };
  return {
    name,
    pid: () => child?.pid,
    async start() {
      wanted = true;
      if (!child) launch();
    },
    async stop(signal, deadlineMs = 60_000) {
      wanted = false;
      const running = child;
      if (!running) return { exitedAfterMs: 0, killed: false };
      const sent = performance.now();
      let killed = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          killed = true;
          running.kill("SIGKILL");
        }, deadlineMs);
        running.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        running.kill(signal);
      });
      return { exitedAfterMs: performance.now() - sent, killed };
    },
    async shutdown() {
      wanted = false;
      if (child) await stopChild(child, 10_000);
      log?.end();
    },
  };
}

export async function waitUntilServing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the API did not answer at ${url}/healthz within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until the API answers again (after a restart). */
export function waitForApi(platform: DrillPlatform, timeoutMs = 180_000): Promise<void> {
  return waitUntilServing(platform.url, timeoutMs);
}

export async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
