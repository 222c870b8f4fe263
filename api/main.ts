// Production entry point for the HTTP API (stateless: run as many replicas as needed behind
// a load balancer). Workers and the indexer have their own entry points.
import { fileURLToPath } from "node:url";
import { bootstrapContext, closeContext } from "./bootstrap.ts";
import { loadConfig } from "../core/config.ts";
import { createApp } from "./http/app.ts";
import { createHttpServer } from "./http/leanRoutes.ts";
import { createLogger } from "../core/logger.ts";
import { extraRouters } from "./http/extraRouters.ts";
import { httpShutdownStep } from "./http/gracefulClose.ts";
import { shutDownOnSignals } from "../core/shutdown.ts";

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: "api" });
const ctx = await bootstrapContext(config, logger, { migrate: true, applicationName: "keyledger-api", part: "api" });
const app = createApp(ctx, { webDistDir: fileURLToPath(new URL("../web/dist", import.meta.url)), extraRouters: extraRouters(ctx) });
const server = createHttpServer(app).listen(config.http.port, config.http.host, () => {
  logger.info({ url: `http://${config.http.host}:${config.http.port}` }, "api listening");
});

// SIGTERM: no new connections, long polls answered now, requests in flight finished (each
// answered with `Connection: close`), then the clients closed; within SHUTDOWN_DEADLINE_MS.
// /readyz answers 503 from the first moment, so a load balancer stops sending new requests.
shutDownOnSignals({
  logger,
  deadlineMs: config.shutdown.deadlineMs,
  state: ctx.observability.state,
  steps: [httpShutdownStep(server, ctx.orderEvents.release), { name: "clients", run: () => closeContext(ctx) }],
});
