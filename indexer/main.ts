// The indexer process: `node indexer/main.ts`. Loads the configuration and syncs the platform's
// contracts until SIGTERM or SIGINT. A second process started with the same configuration waits
// as a standby (see docs/indexer.md).
import { loadConfig } from "../core/config.ts";
import { createLogger } from "../core/logger.ts";
import { runPlatformIndexer } from "./runPlatformIndexer.ts";

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: "indexer" });
const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "stopping after the current step");
    controller.abort();
  });
}

try {
  await runPlatformIndexer({ config, logger, signal: controller.signal });
  logger.info("indexer stopped");
} catch (error) {
  logger.fatal({ error: error instanceof Error ? error.message : String(error) }, "indexer failed");
  process.exitCode = 1;
}
