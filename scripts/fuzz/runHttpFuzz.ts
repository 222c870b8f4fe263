// Runs the OpenAPI-driven HTTP fuzzer against a running platform: for every operation of
// api/openapi.json, a share of the requests (fast-check, seeded), sent one at a time. Each answer
// is checked: never a 5xx; a 4xx has a JSON body with `code` and `message` and changed nothing
// (the database digest equals the one before it); every answer matches its declared schema (the
// in-process response check, api/http/responseCheck.ts). A failing request is shrunk by
// fast-check and reported with its method, path, headers and body.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { responseCheckRecord } from "../../api/http/responseCheck.ts";
import type { Drizzle } from "../../core/store/database.ts";
import { operationsOf, requestOf, validRequestOf, type FuzzFixtures, type FuzzRequest, type OpenApiDocument } from "./openapiArbitraries.ts";
import { installRowChangeCounter, rowChanges, tablesChangedBetween, type RowChanges } from "./rowChangeCounter.ts";
import { changedTables, digestStatement, stateDigest, tablesToDigest, type StateDigest } from "./stateDigest.ts";

export type HttpFuzzOptions = { seed: number; requests: number; baseUrl: string; db: Drizzle; fixtures: FuzzFixtures; log?: (line: string) => void };

export type FuzzFailure = { operation: string; kind: string; detail: string; request: FuzzRequest; status: number; shrunk: string };

export type HttpFuzzResult = {
  requests: number;
  answers2xx: number;
  answers4xx: number;
  /** Operations that answered at least one generated request with a 2xx. */
  operationsWith2xx: string[];
  serverErrors: number;
  stateChangesOn4xx: number;
  badErrorBodies: number;
  contractViolations: number;
  operations: number;
  seconds: number;
  cpuMsPerRequest: number;
  /** Wall time spent reading the row change counter after each answer. */
  changeCheckMsPerRequest: number;
  failures: FuzzFailure[];
};

const openApiPath = new URL("../../api/openapi.json", import.meta.url);

class RequestFailed extends Error {
  readonly kind: string;
  readonly detail: string;
  readonly request: FuzzRequest;
  readonly status: number;

  constructor(kind: string, detail: string, request: FuzzRequest, status: number) {
    super(`${kind}: ${detail}`);
    this.kind = kind;
    this.detail = detail;
    this.request = request;
    this.status = status;
  }
}

/** How a request reads in a report: enough to replay it with curl. */
export function describeRequest(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? "(no body)"
      : JSON.stringify(request.body.length > 300 ? `${request.body.slice(0, 300)}… (${request.body.length} chars)` : request.body);
  const path = request.path.length > 300 ? `${request.path.slice(0, 300)}… (${request.path.length} chars)` : request.path;
  return `${request.method} ${path}\n    headers: ${JSON.stringify(request.headers).slice(0, 400)}\n    body: ${body}`;
}

export async function runHttpFuzz(options: HttpFuzzOptions): Promise<HttpFuzzResult> {
  const document = JSON.parse(readFileSync(openApiPath, "utf8")) as OpenApiDocument;
  const operations = operationsOf(document);
  const tables = await tablesToDigest(options.db);
  const statement = digestStatement(tables);
  await installRowChangeCounter(options.db, tables);
  const answered2xxByOperation = new Map<string, number>();
  const counts = { answers2xx: 0, answers4xx: 0, requests: 0, serverErrors: 0, stateChangesOn4xx: 0, badErrorBodies: 0, contractViolations: 0 };
  const failures: FuzzFailure[] = [];
  // Wall time reading the row change counter, and each request's slowest answer (for the report).
  let digestMs = 0;
  const slowest = new Map<string, number>();
  let baseline: RowChanges = await rowChanges(options.db);
  // The full digest and the counter it was taken at: between operations, a digest that moved
  // while the counter did not means a change the counter missed (the run then fails).
  let fullDigest: StateDigest = await stateDigest(options.db, statement);
  let fullDigestBaseline = baseline;
  const untracked: string[] = [];

  async function send(request: FuzzRequest): Promise<void> {
    counts.requests += 1;
    const violationsBefore = responseCheckRecord().violations.length;
    let status: number;
    let text: string;
    const sent = performance.now();
    try {
      const response = await fetch(options.baseUrl + request.path, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: "manual",
      });
      status = response.status;
      text = await response.text();
      const key = `${request.method} ${request.path.split("?")[0]}`;
      slowest.set(key, Math.max(slowest.get(key) ?? 0, performance.now() - sent));
    } catch (error) {
      counts.serverErrors += 1;
      throw new RequestFailed("no_answer", (error as Error).message, request, 0);
    }
    const digestStarted = performance.now();
    const after = await rowChanges(options.db);
    digestMs += performance.now() - digestStarted;
    const changed = tablesChangedBetween(baseline, after);
    baseline = after;
    if (status < 300) counts.answers2xx += 1;
    else if (status >= 400 && status < 500) counts.answers4xx += 1;
    if (status < 300 && operationName) answered2xxByOperation.set(operationName, (answered2xxByOperation.get(operationName) ?? 0) + 1);
    if (status >= 500) {
      counts.serverErrors += 1;
      throw new RequestFailed("server_error", text.slice(0, 300), request, status);
    }
    if (status >= 400) {
      if (changed.length > 0) {
        counts.stateChangesOn4xx += 1;
        throw new RequestFailed("state_change_on_4xx", `changed: ${changed.join(", ")}; answer: ${text.slice(0, 200)}`, request, status);
      }
      let body: { code?: unknown; message?: unknown } | undefined;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (typeof body?.code !== "string" || typeof body?.message !== "string") {
        counts.badErrorBodies += 1;
        throw new RequestFailed("error_without_code_and_message", text.slice(0, 200), request, status);
      }
    }
    const violations = responseCheckRecord().violations.slice(violationsBefore);
    if (violations.length > 0) {
      counts.contractViolations += violations.length;
      throw new RequestFailed("response_contract", violations.map((violation) => violation.problem).join("; "), request, status);
    }
  }

  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const runsPerOperation = Math.max(1, Math.ceil(options.requests / operations.length));
  let operationName: string | undefined;
  for (const [index, operation] of operations.entries()) {
    const name = `${operation.method} ${operation.pathTemplate}`;
    operationName = name;
    let last: RequestFailed | undefined;
    const details = await fc.check(
      // A third of the requests are valid as far as the schema says, to reach the code behind validation.
      fc.asyncProperty(
        fc.oneof(
          { weight: 2, arbitrary: requestOf(document, operation, options.fixtures) },
          { weight: 1, arbitrary: validRequestOf(document, operation, options.fixtures) },
        ),
        async (request) => {
          try {
            await send(request);
          } catch (error) {
            if (error instanceof RequestFailed) last = error;
            throw error;
          }
        },
      ),
      { seed: options.seed + index, numRuns: runsPerOperation, maxSkipsPerRun: 0 },
    );
    const digestNow = await stateDigest(options.db, statement);
    const counterNow = await rowChanges(options.db);
    if (tablesChangedBetween(fullDigestBaseline, counterNow).length === 0 && digestNow.digest !== fullDigest.digest) {
      untracked.push(`${name}: ${changedTables(fullDigest, digestNow).join(", ")}`);
    }
    fullDigest = digestNow;
    fullDigestBaseline = counterNow;
    baseline = counterNow;
    if (details.failed && last) {
      const shrunk = details.counterexample ? describeRequest(details.counterexample[0] as FuzzRequest) : describeRequest(last.request);
      failures.push({ operation: name, kind: last.kind, detail: last.detail, request: last.request, status: last.status, shrunk });
      options.log?.(`FAIL ${name}: ${last.kind} (${last.status}) ${last.detail}\n  shrunk (${details.numShrinks} shrinks): ${shrunk}`);
    }
  }
  const cpu = process.cpuUsage(cpuBefore);
  options.log?.(
    `slowest answers: ${[...slowest.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([request, ms]) => `${request.slice(0, 80)} ${ms.toFixed(0)} ms`)
      .join(" | ")}`,
  );
  const seconds = (Date.now() - started) / 1000;
  if (untracked.length > 0) throw new Error(`The row change counter missed changes that the full digest saw: ${untracked.join("; ")}`);
  return {
    ...counts,
    changeCheckMsPerRequest: digestMs / Math.max(1, counts.requests),
    operations: operations.length,
    operationsWith2xx: [...answered2xxByOperation.keys()],
    seconds,
    cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / Math.max(1, counts.requests),
    failures,
  };
}
