// Production entry point for the job workers (fulfilment, imports, chain writes,
// maintenance). Stateless apart from the chain queue's single sender; run one or more.
import { bootstrapContext, closeContext } from "../bootstrap.ts";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/logger.ts";
import { startWorkers } from "./workers.ts";

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: "workers" });
const ctx = await bootstrapContext(config, logger, { migrate: true, applicationName: "keyledger-workers" });
const running = await startWorkers(ctx);
logger.info("workers running");

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void running
      .close()
      .then(() => closeContext(ctx))
      .then(() => process.exit(0));
  });
}
