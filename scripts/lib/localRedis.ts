// Starts a private redis-server on a free port: for `npm start` when no REDIS_URL is given, and
// for `npm test` when nothing answers at KEYLEDGER_TEST_REDIS_URL. Debian's redis-server is
// installed first when it is missing and this process is root.
import { spawn, type ChildProcess } from "node:child_process";
import { commandOnPath, ensureDebianPackages, type DebianPiece } from "./debianPackages.ts";
import { freePort } from "./localChain.ts";
import { stopChild } from "./stopChild.ts";

export type LocalRedis = { url: string; process: ChildProcess; stop(): Promise<void> };

export const redisServerPiece: DebianPiece = {
  what: "Redis (redis-server)",
  debianPackage: "redis-server",
  present: () => commandOnPath("redis-server"),
};

/**
 * `hint` says how to use a running Redis instead (e.g. "or set REDIS_URL"); `port` asks for that
 * port (a Redis started again where its clients reconnect), else a free one near 6380.
 */
export async function startLocalRedis(hint = "Or set REDIS_URL to a running Redis.", options: { port?: number } = {}): Promise<LocalRedis> {
  ensureDebianPackages([redisServerPiece], hint);
  const port = options.port ?? (await freePort(6380));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited early (code ${child.exitCode}).`);
    if ((await redisUnreachableReason(url, 1_000)) === undefined) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error("redis-server did not answer within 10 s.");
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    process: child,
    stop: () => stopChild(child),
  };
}

/** Pings once; undefined when Redis answers, else why not. */
export async function redisUnreachableReason(url: string, timeoutMs = 3_000): Promise<string | undefined> {
  const { Redis } = await import("ioredis");
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // The connection's own error (e.g. ECONNREFUSED) says more than the rejected connect's
  // "Connection is closed".
  let connectionError: Error | undefined;
  client.on("error", (error: Error) => (connectionError = error));
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return connectionError?.message ?? (error instanceof Error ? error.message : String(error));
  } finally {
    client.disconnect();
  }
}
