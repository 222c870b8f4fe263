// What the HTTP server does around every request, lean or Express (api/http/leanRoutes.ts
// createHttpServer): it takes the client's X-Request-Id when it is safe to carry (else makes
// one), answers with it, runs the request inside its request context (every log line and every
// job the request enqueues carries it: core/observability/requestContext.ts), and records the
// request's latency under its route template, which the route layer names (labelRoute).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Histogram } from "prom-client";
import { acceptedRequestIdOf, runInRequestContext } from "../../core/observability/requestContext.ts";

const routeTemplates = new WeakMap<ServerResponse, string>();

/** Names the route template (e.g. "/api/orders/:orderId") a request was answered by, for its metrics. */
export function labelRoute(res: ServerResponse, template: string): void {
  routeTemplates.set(res, template);
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** `listener` with request ids and, when `latency` is given, its latency histogram. */
export function observeRequests(listener: RequestListener, latency: Histogram<"method" | "route" | "status_code"> | undefined): RequestListener {
  return (req, res) => {
    const requestId = acceptedRequestIdOf(req.headers["x-request-id"]) ?? randomUUID();
    res.setHeader("x-request-id", requestId);
    if (latency) {
      const startedAt = process.hrtime.bigint();
      res.once("finish", () => {
        // Requests no route answered (static files, unknown paths) share one label each, so that
        // a scan of random paths cannot grow the number of series.
        const route = routeTemplates.get(res) ?? (res.statusCode === 404 ? "not_found" : "unrouted");
        const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        latency.observe({ method: req.method ?? "OTHER", route, status_code: String(res.statusCode) }, seconds);
      });
    }
    runInRequestContext({ requestId }, () => listener(req, res));
  };
}
