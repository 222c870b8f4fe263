// Starts a private redis-server on a free port when no REDIS_URL is given (npm start).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { freePort } from "./localChain.ts";
import { stopChild } from "./stopChild.ts";

export type LocalRedis = { url: string; process: ChildProcess; stop(): Promise<void> };

export async function startLocalRedis(): Promise<LocalRedis> {
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  if (which.status !== 0) {
    throw new Error("redis-server is not installed and REDIS_URL is not set. Install it with `sudo apt-get install redis-server` (Debian/Ubuntu) or set REDIS_URL.");
  }
  const port = await freePort(6380);
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  const { Redis } = await import("ioredis");
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited early (code ${child.exitCode}).`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => {}); // not listening yet: the loop retries
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      break;
    } catch {
      client.disconnect();
      if (Date.now() > deadline) throw new Error("redis-server did not answer within 10 s.");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    process: child,
    stop: () => stopChild(child),
  };
}
