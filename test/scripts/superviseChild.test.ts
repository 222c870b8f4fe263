// The supervisor npm start puts over its Redis (scripts/lib/superviseChild.ts), with real child
// processes that keep dying: it restarts with a doubling delay and gives up after 6 failed
// attempts in a row, logging each one and calling onLost once. A failed attempt is a restart
// that throws (the child does not come up), or a child that comes up and dies at once.
import { spawn } from "node:child_process";
import { expect } from "chai";
import { createLogger } from "../../core/logger.ts";
import { superviseChild, type RunningChild } from "../../scripts/lib/superviseChild.ts";

const node = process.execPath;

/** A child that stays up until stopped. */
function lastingChild(): RunningChild {
  const child = spawn(node, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  return {
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

/** Starts `node -e "process.exit(1)"`; with `waitUntilReady`, waits for it to prove it is up, as startLocalRedis waits for Redis's answer, and fails. */
async function dyingChild(waitUntilReady: boolean): Promise<RunningChild> {
  const child = spawn(node, ["-e", "process.exit(1)"], { stdio: "ignore" });
  if (waitUntilReady) {
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    throw new Error(`the child exited with code ${code} before it was ready`);
  }
  // Started: spawned with a pid; it dies a moment later.
  await new Promise((resolve) => child.once("spawn", resolve));
  return { process: child, stop: async () => {} };
}

type Logged = { code?: string; attempt?: number; level: number; time: number; msg: string };

async function superviseUntilLost(restart: () => Promise<RunningChild>) {
  const lines: Logged[] = [];
  const logger = createLogger({ level: "info", destination: { write: (line) => void lines.push(JSON.parse(line) as Logged) } });
  const first = lastingChild();
  let restarts = 0;
  const lost: string[] = [];
  const lostAt = new Promise<number>((resolve) => {
    superviseChild({
      name: "Redis",
      first,
      logger,
      restart: () => {
        restarts += 1;
        return restart();
      },
      onLost: (reason) => {
        lost.push(reason);
        resolve(performance.now());
      },
    });
  });
  const killedAt = performance.now();
  first.process.kill("SIGKILL");
  const endedAt = await lostAt;
  // Nothing more happens once the child is given up.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return { lines, restarts, lost, elapsedMs: endedAt - killedAt };
}

// 250 ms doubling, capped at 8 s: 250 + 500 + 1,000 + 2,000 + 4,000 + 8,000.
const backoffMsTotal = 15_750;

describe("npm start's child supervision: a Redis that keeps dying is given up", function () {
  this.timeout(90_000);

  it("gives up after 6 restarts that fail, with a doubling delay, each logged", async () => {
    const { lines, restarts, lost, elapsedMs } = await superviseUntilLost(() => dyingChild(true));
    expect(restarts).to.equal(6);
    expect(lost).to.deep.equal(["Redis did not start again and stay up after 6 attempts"]);
    const failed = lines.filter((line) => line.code === "child_restart_failed");
    expect(failed.map((line) => line.attempt)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(failed.every((line) => line.level === 50)).to.equal(true);
    const gapsMs = failed.slice(1).map((line, index) => line.time - failed[index]!.time);
    // Each gap is the delay before the attempt (500, 1,000, 2,000, 4,000, 8,000 ms) plus a spawn.
    for (const [index, delayMs] of [500, 1_000, 2_000, 4_000, 8_000].entries()) {
      expect(gapsMs[index], `gap before attempt ${index + 2}`).to.be.within(delayMs, delayMs + 3_000);
    }
    expect(elapsedMs).to.be.within(backoffMsTotal, backoffMsTotal + 12_000);
    const lostLines = lines.filter((line) => line.code === "child_lost");
    expect(lostLines.map((line) => line.level)).to.deep.equal([60]);
  });

  it("counts a child that starts and dies at once as a failed attempt, so it is given up too", async () => {
    const { lines, restarts, lost } = await superviseUntilLost(() => dyingChild(false));
    expect(restarts).to.equal(6);
    expect(lost).to.deep.equal(["Redis did not start again and stay up after 6 attempts"]);
    expect(lines.filter((line) => line.code === "child_restarted").map((line) => line.attempt)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    // The first child's death and each restarted one's.
    expect(lines.filter((line) => line.code === "child_exited")).to.have.length(7);
    expect(lines.filter((line) => line.code === "child_lost")).to.have.length(1);
  });
});
