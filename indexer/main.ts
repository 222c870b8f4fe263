// The indexer process: `node indexer/main.ts`. Loads the configuration and syncs the platform's
// contracts until SIGTERM or SIGINT. A second process started with the same configuration waits
// as a standby (see docs/indexer.md). With HEALTH_PORT set it serves /healthz, /readyz and
// /metrics there (indexer/health.ts).
import { loadConfig } from "../core/config.ts";
import { createLogger } from "../core/logger.ts";
import { createProcessState } from "../core/observability/readiness.ts";
import { shutDownOnSignals, type ShutdownStep } from "../core/shutdown.ts";
import { startIndexerHealth } from "./health.ts";
import { runPlatformIndexer } from "./runPlatformIndexer.ts";

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: "indexer" });
const state = createProcessState();
const health = await startIndexerHealth(config, logger, state);
const controller = new AbortController();
const running = runPlatformIndexer({ config, logger, signal: controller.signal }).then(
  () => logger.info("indexer stopped"),
  (error: unknown) => {
    logger.fatal({ error: error instanceof Error ? error.message : String(error) }, "indexer failed");
    process.exitCode = 1;
    // Not ready any more: the process is about to be restarted by its supervisor.
    state.draining = true;
  },
);
// SIGTERM: the sync stops after its current step (each step commits its rows with its
// checkpoint, so a cut-off one is simply done again by the next indexer), within
// SHUTDOWN_DEADLINE_MS; the health port answers 503 from the start and closes last.
const healthSteps: ShutdownStep[] = health ? [health.server.shutdownStep, { name: "health database", run: () => health.database.close() }] : [];
shutDownOnSignals({
  logger,
  deadlineMs: config.shutdown.deadlineMs,
  state,
  steps: [
    {
      name: "sync",
      run: () => {
        controller.abort();
        return running;
      },
    },
    ...healthSteps,
  ],
});
