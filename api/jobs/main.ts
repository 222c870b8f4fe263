// Production entry point for the job workers (fulfilment, imports, chain writes,
// maintenance). Stateless apart from the chain queue's single sender; run one or more.
import { bootstrapContext, closeContext } from "../bootstrap.ts";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/logger.ts";
import { startWorkers } from "./workers.ts";
import { shutDownOnSignals } from "../../core/shutdown.ts";

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: "workers" });
const ctx = await bootstrapContext(config, logger, { migrate: true, applicationName: "keyledger-workers" });
const running = await startWorkers(ctx);
logger.info("workers running");

// SIGTERM: the workers take no new job and finish the ones they hold (BullMQ's close), then the
// clients close; within SHUTDOWN_DEADLINE_MS, after which unfinished jobs are retried by
// another worker once their locks expire (every job is idempotent).
shutDownOnSignals({
  logger,
  deadlineMs: config.shutdown.deadlineMs,
  steps: [
    { name: "workers", run: () => running.close() },
    { name: "clients", run: () => closeContext(ctx) },
  ],
});
