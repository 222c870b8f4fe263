// Runs the whole platform in one process: what `npm start` does, and what the end-to-end and
// browser suites start. Embedded PGlite has one connection and cannot be shared between
// processes, so the API, the workers and the indexer share this process; at scale they are
// separate processes (api/main.ts, api/jobs/main.ts, indexer/main.ts) on a PostgreSQL server.
import { rmSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";
import { bootstrapContext, closeContext } from "../../api/bootstrap.ts";
import { deployToRpc } from "../../api/chain/deployToRpc.ts";
import { deploymentFileVariables, loadConfig } from "../../core/config.ts";
import type { AppContext } from "../../api/context.ts";
import { createApp } from "../../api/http/app.ts";
import { createHttpServer } from "../../api/http/leanRoutes.ts";
import { extraRouters } from "../../api/http/extraRouters.ts";
import { startWorkers, workerSettingsDefault, type RunningWorkers, type WorkerSettings } from "../../api/jobs/workers.ts";
import { createLogger, type LogDestination } from "../../core/logger.ts";
import { shutDown, type ShutdownOutcome, type ShutdownStep } from "../../core/shutdown.ts";
import { httpShutdownStep } from "../../api/http/gracefulClose.ts";
import { loadOrCreateDevSecrets } from "./devSecrets.ts";
import { freePort, localChainAccounts, startLocalChain, type LocalChain } from "./localChain.ts";
import { startLocalRedis, type LocalRedis } from "./localRedis.ts";
import { superviseChild, type RunningChild, type SupervisedChild } from "./superviseChild.ts";
import { demoLogins, seedDemo } from "./seedDemo.ts";
import { runPlatformIndexer } from "../../indexer/runPlatformIndexer.ts";

// Local chains mine a block this often even without transactions.
const localBlockIntervalMs = 1_000;

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The RPC port wallets expect of a local development chain. */
export const defaultLocalChainPort = 8545;

export type PlatformOptions = {
  /** The environment to read (process.env for npm start); values here override defaults. */
  env: Record<string, string | undefined>;
  /** Preferred HTTP port; a free one is taken if it is busy. 0 = any. */
  port?: number;
  seed?: boolean;
  /** Run the job workers in this process (default). Suites that kill workers run them apart. */
  workers?: boolean;
  /** The workers' intervals (suites shorten them); workerSettingsDefault otherwise. */
  workerSettings?: Partial<WorkerSettings>;
  /** Run the indexer in this process (default). */
  indexer?: boolean;
  keysPerProduct?: number;
  logLevel?: string;
  /** Where the log goes (stdout by default); tests read it back. */
  logDestination?: LogDestination;
  /**
   * Called when a part the platform cannot run without is lost for good: its local chain died,
   * or its private Redis would not start again. `npm start` stops; the default only logs.
   */
  onLost?: (reason: string) => void;
};

export type Platform = {
  url: string;
  rpcUrl: string;
  ctx: AppContext;
  chainAddresses: Record<string, string | undefined>;
  /** The resolved environment, for starting more processes (workers, indexer) against it. */
  env: Record<string, string>;
  logins: typeof demoLogins;
  /** Stops every part in order within SHUTDOWN_DEADLINE_MS (core/shutdown.ts), saying so in the log. */
  stop(reason?: string): Promise<ShutdownOutcome>;
};

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const env = { ...options.env };
  const dataDir = path.resolve(root, env.DATA_DIR ?? ".data");
  const secrets = loadOrCreateDevSecrets(dataDir);
  // In start order; stopped in reverse.
  const stops: ShutdownStep[] = [];
  // The children this process started, supervised once the logger exists.
  let redisChild: RunningChild | SupervisedChild | undefined;
  let chainChild: RunningChild | SupervisedChild | undefined;
  try {
    let redis: LocalRedis | undefined;
    if (!env.REDIS_URL) {
      redis = await startLocalRedis();
      redisChild = redis;
      stops.push({ name: "redis", run: () => redisChild!.stop() });
    }
    let chain: LocalChain | undefined;
    let deployed: Record<string, string> = {};
    if (!env.CHAIN_RPC_URL) {
      // `npm start` prefers the usual 8545 for wallets (LOCAL_CHAIN_PORT to choose another), and
      // takes any free port only when that one is busy; suites (port 0) take any free port so two
      // suites starting at once never share a chain.
      const preferredChainPort = options.port === 0 ? undefined : Number(env.LOCAL_CHAIN_PORT ?? defaultLocalChainPort);
      chain = await startLocalChain({
        port: preferredChainPort === undefined ? undefined : await freePort(preferredChainPort),
        intervalMiningMs: localBlockIntervalMs,
      });
      chainChild = chain;
      stops.push({ name: "chain", run: () => chainChild!.stop() });
      deployed = await deployLocal(chain.rpcUrl);
      if (!env.DATABASE_URL) {
        // A new local chain has none of the old batches, so the embedded database of a previous
        // run would point at roots that do not exist: the local demo starts fresh each time.
        rmSync(path.join(dataDir, "pglite"), { recursive: true, force: true });
      }
    }
    // A known port (never 0) so that PUBLIC_URL can name it before the server listens.
    const port = options.port === 0 ? await freePort() : await freePort(options.port ?? Number(env.PORT ?? 8080));
    const resolvedEnv = {
      MASTER_KEY: secrets.MASTER_KEY,
      QUERY_PASSWORD_PEPPER: secrets.QUERY_PASSWORD_PEPPER,
      EPAY_SANDBOX_SECRET: secrets.EPAY_SANDBOX_SECRET,
      // The demo's shops sell through the sandbox gateway (merchant-collected, play money) and
      // never top up their fees: without this, checkout would stop after 100.00 of fees
      // (docs/ledger.md, "Who holds the money"). Set the variable to see the limit at work.
      LEDGER_MERCHANT_FEE_CREDIT_MINOR: "1000000000",
      ...env,
      DATA_DIR: dataDir,
      PORT: String(port),
      // Links and the SIWE domain come from PUBLIC_URL only (api/config.ts); locally, the listener.
      PUBLIC_URL: env.PUBLIC_URL ?? `http://127.0.0.1:${port}`,
      LOG_LEVEL: options.logLevel ?? env.LOG_LEVEL ?? "info",
      REDIS_URL: redis?.url ?? env.REDIS_URL,
      ...(chain
        ? {
            CHAIN_RPC_URL: chain.rpcUrl,
            PUBLIC_RPC_URL: env.PUBLIC_RPC_URL ?? chain.rpcUrl,
            CHAIN_OPERATOR_KEY: localChainAccounts.deployer,
            // A local chain does not reorganise on its own: a few blocks of depth make rows
            // final within seconds in the demo (public chains keep the configured defaults).
            INDEXER_FINALITY_DEPTH: env.INDEXER_FINALITY_DEPTH ?? "3",
            INDEXER_POLL_INTERVAL_MS: env.INDEXER_POLL_INTERVAL_MS ?? "500",
            ...deployed,
          }
        : {}),
    };
    const config = loadConfig(resolvedEnv);
    const logger = createLogger({ level: config.logLevel, name: "keyledger", destination: options.logDestination });
    // A private Redis that dies is started again, empty, on its port: the clients reconnect,
    // the workers declare their schedulers again, paid orders are fulfilled by the recovery
    // sweep. A local chain that dies cannot come back with its contracts: that is fatal.
    const onLost = options.onLost ?? (() => {});
    if (redis) {
      const port = Number(new URL(redis.url).port);
      redisChild = superviseChild({ name: "Redis", first: redis, logger, restart: () => startLocalRedis(undefined, { port }), onLost });
    }
    if (chain) chainChild = superviseChild({ name: "the local chain", first: chain, logger, onLost });
    const ctx = await bootstrapContext(config, logger, { migrate: true, applicationName: "keyledger-start", part: "all" });
    stops.push({ name: "clients", run: () => closeContext(ctx) });
    if (options.workers ?? true) {
      const workers: RunningWorkers = await startWorkers(ctx, { ...workerSettingsDefault, ...options.workerSettings });
      stops.push({ name: "workers", run: () => workers.close() });
    }
    if (options.indexer ?? true) {
      const controller = new AbortController();
      const running = runPlatformIndexer({ config, logger: logger.child({ part: "indexer" }), signal: controller.signal, database: ctx.database }).catch(
        (error: unknown) => {
          logger.error({ err: { message: (error as Error).message } }, "indexer stopped with an error");
        },
      );
      stops.push({
        name: "indexer",
        run: async () => {
          controller.abort();
          await running;
        },
      });
    }
    const app = createApp(ctx, { webDistDir: path.join(root, "web/dist"), extraRouters: extraRouters(ctx) });
    const server: Server = await new Promise((resolve) => {
      const listening = createHttpServer(app).listen(config.http.port, config.http.host, () => resolve(listening));
    });
    // Kept-alive connections are closed and long polls answered at once, so neither holds the
    // stop for as long as it lasts; requests in flight finish (api/http/gracefulClose.ts).
    stops.push(httpShutdownStep(server, ctx.orderEvents.release));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`;
    if (options.seed ?? true) await seedDemo(ctx, url, { keysPerProduct: options.keysPerProduct ?? 40 });
    return {
      url,
      rpcUrl: config.chain.rpcUrl ?? "",
      ctx,
      chainAddresses: { ...ctx.chain?.addresses },
      env: Object.fromEntries(Object.entries(resolvedEnv).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      logins: demoLogins,
      stop: (reason = "stop") =>
        shutDown({
          logger,
          deadlineMs: config.shutdown.deadlineMs,
          steps: [...stops].reverse(),
          reason,
          state: ctx.observability.state,
          // Exiting would orphan the local chain and Redis: they go with the process.
          atDeadline: () => {
            for (const child of [redisChild, chainChild]) processOf(child)?.kill("SIGKILL");
          },
        }),
    };
  } catch (error) {
    for (const stop of [...stops].reverse()) await stop.run(Date.now()).catch(() => {});
    throw error;
  }
}

/** Deploys the platform's contracts to a local chain and returns the variables that name them. */
export async function deployLocal(rpcUrl: string): Promise<Record<string, string>> {
  return deploymentFileVariables(await deployToRpc({ rpcUrl, deployerKey: localChainAccounts.deployer as Hex }));
}

function processOf(child: RunningChild | SupervisedChild | undefined) {
  if (!child) return undefined;
  return "current" in child ? child.current() : child.process;
}
