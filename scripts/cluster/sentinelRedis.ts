// Redis with Sentinel on this machine, for the cluster: a primary, a replica of it and three
// sentinels (`redis-server --sentinel`; Debian's redis-sentinel package is the same binary),
// each on its own free port, without persistence. A quorum of two sentinels that cannot reach
// the primary for `downAfterMs` promotes the replica; clients configured with REDIS_SENTINELS
// ask a sentinel for the primary again (api/jobs/queues.ts createRedis).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureDebianPackages } from "../lib/debianPackages.ts";
import { freePort } from "../lib/localChain.ts";
import { redisServerPiece, redisUnreachableReason } from "../lib/localRedis.ts";
import { stopChild } from "../lib/stopChild.ts";

export const sentinelMasterName = "keyledger";

export type RedisNode = { port: number; process: ChildProcess; kill(): Promise<void> };

export type SentinelRedis = {
  /** host:port of each sentinel, as REDIS_SENTINELS wants them. */
  sentinels: string;
  name: string;
  primary: RedisNode;
  replica: RedisNode;
  /** The port the sentinels name as primary now. */
  currentPrimaryPort(): Promise<number | undefined>;
  stop(): Promise<void>;
};

export async function startSentinelRedis(options: { downAfterMs?: number } = {}): Promise<SentinelRedis> {
  ensureDebianPackages([redisServerPiece], "Redis Sentinel needs redis-server.");
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyledger-cluster-redis-"));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await stopChild(child, 5_000).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  const launch = (args: string[]) => {
    const child = spawn("redis-server", args, { cwd: dir, stdio: ["ignore", "ignore", "ignore"] });
    children.push(child);
    return child;
  };
  const node = (port: number, child: ChildProcess): RedisNode => ({
    port,
    process: child,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  });
  try {
    const common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"];
    const primaryPort = await freePort();
    const primary = launch(["--port", String(primaryPort), ...common]);
    await waitForRedis(primaryPort, primary);
    const replicaPort = await freePort();
    const replica = launch(["--port", String(replicaPort), ...common, "--replicaof", "127.0.0.1", String(primaryPort)]);
    await waitForRedis(replicaPort, replica);
    const sentinelPorts: number[] = [];
    for (let index = 0; index < 3; index++) {
      const port = await freePort();
      // Sentinel rewrites its configuration file (what it learned of replicas and failovers).
      const file = path.join(dir, `sentinel-${index}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          "protected-mode no",
          `sentinel monitor ${sentinelMasterName} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${sentinelMasterName} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${sentinelMasterName} 10000`,
          `sentinel parallel-syncs ${sentinelMasterName} 1`,
          "",
        ].join("\n"),
      );
      const sentinel = launch([file, "--sentinel"]);
      await waitForRedis(port, sentinel);
      sentinelPorts.push(port);
    }
    await waitForReplicaSeen(sentinelPorts[0]!, replicaPort);
    return {
      sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(","),
      name: sentinelMasterName,
      primary: node(primaryPort, primary),
      replica: node(replicaPort, replica),
      currentPrimaryPort: () => askPrimary(sentinelPorts),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForRedis(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited early (code ${child.exitCode}).`);
    if ((await redisUnreachableReason(`redis://127.0.0.1:${port}`, 1_000)) === undefined) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function sentinelCommand<T>(port: number, args: string[]): Promise<T> {
  const { Redis } = await import("ioredis");
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.call("SENTINEL", ...args)) as T;
  } finally {
    client.disconnect();
  }
}

async function askPrimary(sentinelPorts: number[]): Promise<number | undefined> {
  for (const port of sentinelPorts) {
    try {
      const answer = await sentinelCommand<[string, string] | null>(port, ["get-master-addr-by-name", sentinelMasterName]);
      if (answer) return Number(answer[1]);
    } catch {
      // that sentinel is down: ask the next
    }
  }
  return undefined;
}

// A sentinel learns of the replica from the primary's INFO (every 10 s): a failover before that
// would find no replica to promote.
async function waitForReplicaSeen(sentinelPort: number, replicaPort: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const replicas = await sentinelCommand<string[][]>(sentinelPort, ["replicas", sentinelMasterName]).catch(() => []);
    if (replicas.some((fields) => fields[fields.indexOf("port") + 1] === String(replicaPort))) return;
    if (Date.now() > deadline) throw new Error("the sentinels did not see the Redis replica within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
