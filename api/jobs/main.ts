// Production entry point for the job workers (fulfilment, imports, chain writes,
// maintenance). Stateless apart from the chain queue's single sender; run one or more. With
// HEALTH_PORT set it serves /healthz, /readyz and /metrics there.
import { bootstrapContext, closeContext } from "../bootstrap.ts";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/logger.ts";
import { startHealthServer } from "../../core/observability/healthServer.ts";
import { shutDownOnSignals } from "../../core/shutdown.ts";
import { platformReadinessChecks } from "../observability/readinessChecks.ts";
import { startWorkers } from "./workers.ts";

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: "workers" });
const ctx = await bootstrapContext(config, logger, { migrate: true, applicationName: "keyledger-workers", part: "workers" });
const running = await startWorkers(ctx);
const { observability } = config;
const health =
  observability.healthPort === 0
    ? undefined
    : await startHealthServer({
        host: observability.healthHost,
        port: observability.healthPort,
        state: ctx.observability.state,
        checks: platformReadinessChecks(ctx),
        checkTimeoutMs: observability.readyCheckTimeoutMs,
        registry: ctx.observability.metrics.registry,
        metricsToken: observability.metricsToken,
      });
logger.info({ health: health?.url }, "workers running");

// SIGTERM: /readyz answers 503 at once; the workers take no new job and finish the ones they
// hold (BullMQ's close), then the clients close; within SHUTDOWN_DEADLINE_MS, after which
// unfinished jobs are retried by another worker once their locks expire (every job is
// idempotent). The health port closes last.
shutDownOnSignals({
  logger,
  deadlineMs: config.shutdown.deadlineMs,
  state: ctx.observability.state,
  steps: [{ name: "workers", run: () => running.close() }, { name: "clients", run: () => closeContext(ctx) }, ...(health ? [health.shutdownStep] : [])],
});
