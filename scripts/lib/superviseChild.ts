// Watches a child process `npm start` depends on (its private Redis, its local chain) and acts
// when it dies without being asked to: restarts it with backoff (Redis), or declares the death
// fatal (the chain). Restarting a Hardhat node gives a new, empty chain without the platform's
// contracts, and Hardhat cannot reload a saved state, so running on would serve a shop whose
// every batch root and entitlement is gone; docs/operations.md has the decision.
import type { ChildProcess } from "node:child_process";
import type { Logger } from "../../core/logger.ts";

export type RunningChild = { process: ChildProcess; stop(): Promise<void> };

export type SuperviseChildParameters = {
  /** Names the child in the log ("Redis", "local chain"). */
  name: string;
  first: RunningChild;
  logger: Logger;
  /** Starts the child again; absent when a restart cannot be right (the death is fatal). */
  restart?: () => Promise<RunningChild>;
  /** Called once when the child is lost for good (fatal death, or restarts that keep failing). */
  onLost(reason: string): void;
};

export type SupervisedChild = {
  /** The child now running (a restarted one after a restart). */
  current(): ChildProcess;
  /** Stops the child; no restart follows. */
  stop(): Promise<void>;
};

// Waits before the first restart attempt and each later one (doubling, capped): a child that
// dies again at once is not restarted in a tight loop.
const restartDelayMsInitial = 250;
const restartDelayMsMax = 8_000;
// Attempts in a row that may fail to start the child before it is given up.
const restartAttemptsMax = 6;
// A child up this long before it died is restarted after the initial delay again.
const stableUptimeMs = 60_000;

export function superviseChild(parameters: SuperviseChildParameters): SupervisedChild {
  const { name, logger } = parameters;
  let running = parameters.first;
  let stopping = false;
  let delayMs = restartDelayMsInitial;

  const watch = (child: RunningChild) => {
    const startedAt = Date.now();
    child.process.once("exit", (code, signal) => {
      if (stopping) return;
      // A child that stayed up a while earns a quick restart.
      if (Date.now() - startedAt > stableUptimeMs) delayMs = restartDelayMsInitial;
      if (!parameters.restart) {
        const reason = `${name} exited (code ${code}, signal ${signal})`;
        logger.fatal({ code: "child_lost", child: name, exitCode: code, signal }, `${reason}; it cannot be restarted in place: stopping`);
        parameters.onLost(reason);
        return;
      }
      logger.error({ code: "child_exited", child: name, exitCode: code, signal }, `${name} exited: restarting it`);
      void restartWithBackoff();
    });
  };

  const restartWithBackoff = async () => {
    for (let attempt = 1; attempt <= restartAttemptsMax; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, restartDelayMsMax);
      if (stopping) return;
      try {
        running = await parameters.restart!();
        if (stopping) {
          await running.stop();
          return;
        }
        logger.warn({ code: "child_restarted", child: name, attempt, pid: running.process.pid }, `${name} restarted`);
        watch(running);
        return;
      } catch (error) {
        logger.error({ code: "child_restart_failed", child: name, attempt, err: error }, `${name} did not start again`);
      }
    }
    const reason = `${name} did not start again after ${restartAttemptsMax} attempts`;
    logger.fatal({ code: "child_lost", child: name }, reason);
    parameters.onLost(reason);
  };

  watch(running);
  return {
    current: () => running.process,
    async stop() {
      stopping = true;
      await running.stop();
    },
  };
}
