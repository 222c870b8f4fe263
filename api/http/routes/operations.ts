// The operator's routes (docs/operations.md): readiness, Prometheus metrics and the queue
// dashboard. /healthz and /readyz are probes for load balancers and orchestrators, answered to
// anyone and outside the API's contract (they say nothing but which dependency failed);
// /api/metrics (in the API's contract and the authorisation matrix; the workers' and the
// indexer's health ports serve theirs at /metrics) needs the METRICS_TOKEN bearer token or an
// admin's session; the queue dashboard
// (bull-board, which can retry and remove jobs) needs an admin's session opened with a second
// factor, as every staff role does.
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { type NextFunction, type Request, type Response, Router } from "express";
import { metricsTokenMatches } from "../../../core/observability/metricsRegistry.ts";
import { evaluateReadiness } from "../../../core/observability/readiness.ts";
import type { AppContext } from "../../context.ts";
import { platformReadinessChecks } from "../../observability/readinessChecks.ts";
import { requireAccount, requireKeyScope } from "../auth.ts";
import { labelRoute } from "../requestObservation.ts";
import { defineRoute, registerRoute } from "../route.ts";
import { metricsTextSchema, queueDashboardPageSchema } from "../responses/operations.ts";

export const queueDashboardPath = "/api/admin/queues";

/** GET /readyz: 200 when every check passes, else 503; both list every check with what it saw. */
export function readinessRouter(ctx: AppContext): Router {
  const router = Router();
  const checks = platformReadinessChecks(ctx);
  router.get("/readyz", async (_req, res) => {
    labelRoute(res, "/readyz");
    const report = await evaluateReadiness(ctx.observability.state, checks, ctx.config.observability.readyCheckTimeoutMs);
    res
      .status(report.ready ? 200 : 503)
      .set("cache-control", "no-store")
      .json(report);
  });
  return router;
}

/** GET /api/metrics (mounted under /api): the METRICS_TOKEN bearer token answers at once; otherwise an admin's session. */
export function metricsRouter(ctx: AppContext): Router {
  const router = Router();
  const registry = ctx.observability.metrics.registry;
  router.get("/metrics", async (req, res, next) => {
    if (!metricsTokenMatches(req.headers.authorization, ctx.config.observability.metricsToken)) return next();
    labelRoute(res, "/api/metrics");
    res.type(registry.contentType).send(await registry.metrics());
  });
  defineRoute(
    router,
    "/api",
    {
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics of this API process (or send `Authorization: Bearer <METRICS_TOKEN>`)",
      tags: ["operations"],
      auth: ["admin"],
      response: metricsTextSchema,
      responseType: "text/plain",
    },
    async () => registry.metrics(),
  );
  return router;
}

/** The queue dashboard (bull-board) under /api/admin/queues, for admins with a second-factor session. */
export function queueDashboardRouter(ctx: AppContext): Router {
  const router = Router();
  // Built at the first admin's request: most API processes never serve it.
  let board: Router | undefined;
  const boardRouter = (): Router => {
    if (board) return board;
    const serverAdapter = new ExpressAdapter();
    serverAdapter.setBasePath(queueDashboardPath);
    const { fulfilment, imports, chain, maintenance } = ctx.queues;
    createBullBoard({ queues: [fulfilment, imports, chain, maintenance].map((queue) => new BullMQAdapter(queue)), serverAdapter });
    board = serverAdapter.getRouter() as Router;
    return board;
  };
  registerRoute("/api", {
    method: "get",
    path: "/admin/queues",
    summary: "The queue dashboard (bull-board): jobs by queue and state, retry and clean; its pages and calls live below this path",
    tags: ["operations"],
    auth: ["admin"],
    response: queueDashboardPageSchema,
    responseType: "text/html",
  });
  const adminsOnly = (req: Request, res: Response, next: NextFunction) => {
    labelRoute(res, queueDashboardPath);
    requireKeyScope(req.apiKey, undefined, `GET ${queueDashboardPath}`);
    requireAccount(req, ["admin"]);
    next();
  };
  router.use("/admin/queues", adminsOnly, (req, res, next) => boardRouter()(req, res, next));
  return router;
}
