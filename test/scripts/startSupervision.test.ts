// `npm start` (scripts/start.ts) watches the children it depends on: its private Redis killed
// (kill -9) is started again, empty, on the same port, and the workers' job schedulers are
// declared in it again; its local chain killed cannot come back with the platform's contracts,
// so the process says why and stops cleanly, taking Redis with it.
import { expect } from "chai";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { freePort } from "../../scripts/lib/localChain.ts";
import { waitFor } from "../support/platform.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The children of `pid` with their command lines. */
function childrenOf(pid: number): { pid: number; args: string }[] {
  const out = execFileSync("ps", ["--ppid", String(pid), "-o", "pid=,args="], { encoding: "utf8" }).trim();
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [, childPid, args] = /^\s*(\d+)\s+(.*)$/.exec(line)!;
      return { pid: Number(childPid), args: args! };
    });
}

const alive = (pid: number) => {
  try {
    // A zombie still "exists": read its state.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

describe("npm start: supervised Redis and chain", function () {
  this.timeout(600_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-supervise-"));
  const queuePrefix = `kltest-sup-${randomBytes(4).toString("hex")}`;
  let child: ChildProcess | undefined;
  let output = "";

  after(() => {
    if (child && child.exitCode === null && child.signalCode === null) {
      for (const grandchild of childrenOf(child.pid!)) process.kill(grandchild.pid, "SIGKILL");
      child.kill("SIGKILL");
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("restarts a killed Redis with the schedulers declared again, and stops cleanly when the chain dies", async () => {
    child = spawn(path.join(root, "node_modules/.bin/node"), ["scripts/start.ts"], {
      cwd: root,
      env: {
        ...process.env,
        // No REDIS_URL: npm start runs its own Redis.
        REDIS_URL: "",
        DATA_DIR: dataDir,
        QUEUE_PREFIX: queuePrefix,
        PORT: "0",
        LOCAL_CHAIN_PORT: String(await freePort()),
        LOG_LEVEL: "warn",
        HARDHAT_DISABLE_TELEMETRY: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    await waitFor(
      "npm start running",
      async () => output.includes("Press Ctrl+C to stop.") || (child!.exitCode !== null && Promise.reject(new Error(output))),
      400_000,
      200,
    );

    const redisOf = () => childrenOf(child!.pid!).find((entry) => entry.args.startsWith("redis-server"));
    const firstRedis = redisOf()!;
    expect(firstRedis, JSON.stringify(childrenOf(child.pid!))).to.not.equal(undefined);
    // redis-server shows itself as "redis-server 127.0.0.1:PORT".
    const portOf = (args: string) => Number(/(?:--port |:)(\d+)/.exec(args)![1]);
    const port = portOf(firstRedis.args);
    process.kill(firstRedis.pid, "SIGKILL");

    await waitFor("Redis restarted", async () => output.includes('"child_restarted"'), 30_000, 100);
    const secondRedis = redisOf()!;
    expect(secondRedis.pid).to.not.equal(firstRedis.pid);
    expect(portOf(secondRedis.args)).to.equal(port);
    // The new Redis started empty; the workers declared their seven schedulers in it again (chain: 2, maintenance: 5).
    const redis = new Redis(`redis://127.0.0.1:${port}`);
    try {
      const schedulers = async () => (await redis.zcard(`${queuePrefix}:chain:repeat`)) + (await redis.zcard(`${queuePrefix}:maintenance:repeat`));
      await waitFor("schedulers declared in the new Redis", async () => (await schedulers()) === 7, 30_000, 100);
    } finally {
      redis.disconnect();
    }
    const url = /Shop \(web\): +(http:\/\/127\.0\.0\.1:\d+)\//.exec(output)![1]!;
    expect((await fetch(`${url}/api/shops/by-slug/demo`)).status).to.equal(200);

    const chain = childrenOf(child.pid!).find((entry) => entry.args.includes("hardhat"))!;
    expect(chain, JSON.stringify(childrenOf(child.pid!))).to.not.equal(undefined);
    process.kill(chain.pid, "SIGKILL");
    expect(await exited, output).to.equal(1);
    expect(output).to.include("Keyledger cannot run on: the local chain exited");
    expect(output).to.match(/Stopping Keyledger \(a part was lost\)\.\.\.\n/);
    expect(alive(secondRedis.pid), "Redis stopped with the process").to.equal(false);
  });
});
