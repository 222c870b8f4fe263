// One Prometheus registry per process (prom-client), created by the entry point and passed down:
// suites run several platforms in one process, and a shared global registry would mix them or
// refuse a metric registered twice. Metric names are the public interface of the dashboards
// (ops/grafana/keyledger.json; docs/operations.md lists them).
import { timingSafeEqual } from "node:crypto";
import { collectDefaultMetrics, Registry } from "prom-client";

/** A registry with the process's standard metrics (CPU, memory, event loop lag), labelled by part. */
export function createMetricsRegistry(part: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ part });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Whether a request may read the metrics: the bearer token METRICS_TOKEN, compared in constant
 * time. With no token set, nobody may by this route (the API also lets admins in).
 */
export function metricsTokenMatches(authorization: string | undefined, token: string | undefined): boolean {
  if (!token || !authorization?.startsWith("Bearer ")) return false;
  const given = Buffer.from(authorization.slice("Bearer ".length).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
