// `npm start`'s process (scripts/start.ts) as a user meets it: it runs its local chain on the
// preferred RPC port (8545 unless LOCAL_CHAIN_PORT says otherwise) at every start while that
// port is free, and Ctrl+C ends it with a line saying it stopped, releasing the port for the
// next start. A port chosen here stands in for 8545, which another demo on this machine may hold.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deleteRedisKeys } from "../../scripts/lib/deleteRedisKeys.ts";
import { freePort } from "../../scripts/lib/localChain.ts";
import { testEnv } from "../support/env.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

function startKeyledger(env: Record<string, string>): Started {
  const child = spawn(path.join(root, "node_modules/.bin/node"), ["scripts/start.ts"], {
    cwd: root,
    env: { ...process.env, ...env, HARDHAT_DISABLE_TELEMETRY: "true", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForOutput(started: Started, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(text)) {
    if (started.child.exitCode !== null) throw new Error(`start.ts exited (${started.child.exitCode}) before printing "${text}":\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`start.ts did not print "${text}" within ${timeoutMs} ms:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("npm start: fixed RPC port and a clear stop", function () {
  this.timeout(600_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-start-"));
  const queuePrefix = `kltest-start-${randomBytes(4).toString("hex")}`;
  let running: Started | undefined;

  after(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill("SIGKILL");
      await running.exited;
    }
    await deleteRedisKeys(testEnv.redisUrl, queuePrefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("uses the preferred chain port at each start and says it stopped on Ctrl+C", async () => {
    const chainPort = await freePort();
    const env = { DATA_DIR: dataDir, REDIS_URL: testEnv.redisUrl, QUEUE_PREFIX: queuePrefix, PORT: "0", LOCAL_CHAIN_PORT: String(chainPort) };
    for (const attempt of [1, 2]) {
      running = startKeyledger(env);
      await waitForOutput(running, "Press Ctrl+C to stop.", 300_000);
      expect(running.output(), `start ${attempt}`).to.include(`Local chain RPC:  http://127.0.0.1:${chainPort}\n`);
      if (attempt === 1) {
        // The web app as npm start serves it: its script precompressed and cached for good.
        const url = /Shop \(web\): +(http:\/\/127\.0\.0\.1:\d+)\//.exec(running.output())![1]!;
        // The page's boot script names the entry it starts (api/http/webShell.ts, web/public/boot.js).
        const script = /data-entry="(\/assets\/index-[^"]+\.js)"/.exec(await (await fetch(`${url}/`)).text())![1]!;
        const answer = await fetch(`${url}${script}`, { headers: { "accept-encoding": "br, gzip" } });
        expect(answer.headers.get("content-encoding")).to.equal("br");
        expect(answer.headers.get("cache-control")).to.equal("public, max-age=31536000, immutable");
      }
      running.child.kill("SIGINT");
      expect(await running.exited, running.output()).to.equal(0);
      expect(running.output(), running.output()).to.match(/\nStopping Keyledger \(SIGINT\)\.\.\.\n(.*\n)*Keyledger stopped\.\n/);
    }
  });
});
