// The small HTTP port of the processes that serve no API (workers, indexer): GET /healthz (the
// process is alive), GET /readyz (its readiness checks, 503 naming the failed ones) and GET
// /metrics (Prometheus text, with the METRICS_TOKEN bearer token). Off unless HEALTH_PORT is set.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import type { ShutdownStep } from "../shutdown.ts";
import { metricsTokenMatches } from "./metricsRegistry.ts";
import { evaluateReadiness, type ProcessState, type ReadinessCheck } from "./readiness.ts";

export type HealthServerParameters = {
  host: string;
  port: number;
  state: ProcessState;
  checks: readonly ReadinessCheck[];
  checkTimeoutMs: number;
  registry: Registry;
  metricsToken: string | undefined;
};

export type HealthServer = { server: Server; url: string; shutdownStep: ShutdownStep };

export async function startHealthServer(parameters: HealthServerParameters): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const answer = (status: number, body: string, type = "application/json; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET") return answer(405, JSON.stringify({ code: "method_not_allowed", message: "Only GET is served here." }));
    if (path === "/healthz") return answer(200, JSON.stringify({ ok: true }));
    if (path === "/readyz") {
      void evaluateReadiness(parameters.state, parameters.checks, parameters.checkTimeoutMs).then((report) =>
        answer(report.ready ? 200 : 503, JSON.stringify(report)),
      );
      return;
    }
    if (path === "/metrics") {
      if (!metricsTokenMatches(req.headers.authorization, parameters.metricsToken)) {
        return answer(
          401,
          JSON.stringify({ code: "unauthorized", message: "Send `Authorization: Bearer <METRICS_TOKEN>`; set METRICS_TOKEN to enable /metrics." }),
        );
      }
      void parameters.registry.metrics().then((text) => answer(200, text, parameters.registry.contentType));
      return;
    }
    answer(404, JSON.stringify({ code: "not_found", message: "This port serves /healthz, /readyz and /metrics." }));
  });
  await new Promise<void>((resolve) => server.listen(parameters.port, parameters.host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : parameters.port;
  return {
    server,
    url: `http://${parameters.host.includes(":") ? `[${parameters.host}]` : parameters.host}:${port}`,
    // Last in a shutdown: the port keeps answering /readyz (503) while the work is finished.
    shutdownStep: {
      name: "health",
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    },
  };
}
