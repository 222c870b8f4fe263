// A process's graceful shutdown, shared by every entry point (API, workers, indexer, npm start).
// On SIGTERM or SIGINT it says so, runs the process's stop steps in order (stop taking work,
// finish what is in flight, close clients), and exits. At the deadline (SHUTDOWN_DEADLINE_MS)
// steps cut off what they still run (the HTTP server destroys its connections) and the rest of
// the steps close the clients; should those hang, the process exits anyway a moment later with
// what is left unfinished: jobs are retried elsewhere once their locks expire. A second signal
// exits at once.
import type { Logger } from "./logger.ts";

export type ShutdownStep = {
  name: string;
  /** `deadlineAt` (a Date.now() value): a step that can cut its own work off does so then. */
  run(deadlineAt: number): Promise<unknown>;
};

export type ShutdownParameters = {
  logger: Logger;
  deadlineMs: number;
  steps: ShutdownStep[];
  /** The process's readiness state (core/observability/readiness.ts): not ready from the first moment of the shutdown. */
  state?: { draining: boolean };
  /** Cuts off what is left when the deadline is reached (e.g. kills child processes the exit would orphan). */
  atDeadline?: () => void;
};

// After the deadline, the steps that follow a cut-off (closing pools and clients, milliseconds
// when their servers answer) get this long before the process exits regardless.
const hardStopAfterDeadlineMs = 1_000;

export type ShutdownOutcome = { exitCode: number; durationMs: number; stepDurationsMs: Record<string, number> };

/** Runs `steps` in order within `deadlineMs`, logging the start and the end with durations. */
export async function shutDown(parameters: ShutdownParameters & { reason: string }): Promise<ShutdownOutcome> {
  const { logger, deadlineMs, steps } = parameters;
  const startedAt = performance.now();
  const deadlineAt = Date.now() + deadlineMs;
  const elapsedMs = (since = startedAt) => Math.round(performance.now() - since);
  // Before anything stops: load balancers and orchestrators see /readyz answer 503 at once.
  if (parameters.state) parameters.state.draining = true;
  logger.info({ code: "shutdown_started", reason: parameters.reason, deadlineMs }, "shutting down: taking no new work, finishing the work in flight");
  const stepDurationsMs: Record<string, number> = {};
  let current: string | undefined;
  let failed = false;
  const run = async () => {
    for (const step of steps) {
      current = step.name;
      const stepStartedAt = performance.now();
      try {
        await step.run(deadlineAt);
      } catch (error) {
        failed = true;
        logger.warn({ step: step.name, err: error }, "a shutdown step failed; going on with the next");
      }
      stepDurationsMs[step.name] = elapsedMs(stepStartedAt);
    }
    current = undefined;
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), deadlineMs + hardStopAfterDeadlineMs);
  });
  const finished = await Promise.race([run().then(() => "done" as const), deadline]);
  clearTimeout(timer);
  const durationMs = elapsedMs();
  if (finished === "deadline") {
    parameters.atDeadline?.();
    logger.error(
      { code: "shutdown_deadline", step: current, durationMs, deadlineMs, stepDurationsMs },
      "shutdown deadline reached: exiting with work unfinished",
    );
    return { exitCode: 1, durationMs, stepDurationsMs };
  }
  logger.info({ code: "shutdown_finished", durationMs, stepDurationsMs }, "shut down");
  return { exitCode: failed ? 1 : 0, durationMs, stepDurationsMs };
}

/** Shuts the process down on SIGTERM or SIGINT (see shutDown), then exits with its outcome. */
export function shutDownOnSignals(parameters: ShutdownParameters): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) {
        parameters.logger.warn({ signal }, "second signal while shutting down: exiting now");
        process.exit(130);
      }
      stopping = true;
      void shutDown({ ...parameters, reason: signal }).then((outcome) => process.exit(outcome.exitCode));
    });
  }
}
