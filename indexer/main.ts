// The indexer process: `node indexer/main.ts`. Loads the configuration and syncs the platform's
// contracts until SIGTERM or SIGINT. A second process started with the same configuration waits
// as a standby (see docs/indexer.md).
import { loadConfig } from "../core/config.ts";
import { createLogger } from "../core/logger.ts";
import { shutDownOnSignals } from "../core/shutdown.ts";
import { runPlatformIndexer } from "./runPlatformIndexer.ts";

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: "indexer" });
const controller = new AbortController();
const running = runPlatformIndexer({ config, logger, signal: controller.signal }).then(
  () => logger.info("indexer stopped"),
  (error: unknown) => {
    logger.fatal({ error: error instanceof Error ? error.message : String(error) }, "indexer failed");
    process.exitCode = 1;
  },
);
// SIGTERM: the sync stops after its current step (each step commits its rows with its
// checkpoint, so a cut-off one is simply done again by the next indexer), within
// SHUTDOWN_DEADLINE_MS.
shutDownOnSignals({
  logger,
  deadlineMs: config.shutdown.deadlineMs,
  steps: [
    {
      name: "sync",
      run: () => {
        controller.abort();
        return running;
      },
    },
  ],
});
