// Checks every answer the API gives against the schema its route declares, while the test
// suites run (NODE_ENV=test) or when RESPONSE_CHECK=1. A mismatch is recorded and logged, never
// answered: the client gets exactly what it would have got (a 4xx stays a 4xx), and the test
// suites fail at the end listing every recorded mismatch (test/support/responseContract.ts).
// Off in production: the check parses the JSON text back, which the hot path must not pay for.
import type { z } from "zod";
import { errorBodySchema } from "./responses/common.ts";
import { responseCheckFromEnvironment } from "../../core/config.ts";

export type CheckedOperation = { method: string; path: string };

export type ResponseViolation = CheckedOperation & { status: number; problem: string; during: string | undefined };

type Recorder = {
  /** "get /api/shops/:shopId 200" → answers checked. */
  checked: Map<string, number>;
  violations: ResponseViolation[];
  /** What the suites are doing (the current test's title), to say where a violation came from. */
  during: string | undefined;
};

const recorder: Recorder = { checked: new Map(), violations: [], during: undefined };

export const responseCheckEnabled = responseCheckFromEnvironment();

/** What was checked so far in this process. */
export function responseCheckRecord(): Readonly<Recorder> {
  return recorder;
}

/** Removes and returns the violations recorded for one path (for a test that provokes them on purpose). */
export function takeViolations(path: string): ResponseViolation[] {
  const taken = recorder.violations.filter((violation) => violation.path === path);
  recorder.violations = recorder.violations.filter((violation) => violation.path !== path);
  return taken;
}

export function setResponseCheckContext(during: string | undefined): void {
  recorder.during = during;
}

/**
 * Checks one answer: a 2xx against the route's declared schema, any other status against the
 * shared error schema. `body` is what the client receives (JSON parsed back from the text sent).
 */
export function checkResponse(operation: CheckedOperation, status: number, body: unknown, declared: z.ZodType | undefined): void {
  const key = `${operation.method} ${operation.path} ${status}`;
  recorder.checked.set(key, (recorder.checked.get(key) ?? 0) + 1);
  const schema = status >= 200 && status < 300 ? declared : errorBodySchema;
  if (!schema) {
    record(operation, status, "the route declares no response schema");
    return;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`);
    record(operation, status, problems.join("; "));
  }
}

/** Checks a JSON text answer (parsing it back first). */
export function checkJsonResponse(operation: CheckedOperation, status: number, text: string, declared: z.ZodType | undefined): void {
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    record(operation, status, "the body is not JSON");
    return;
  }
  checkResponse(operation, status, body, declared);
}

function record(operation: CheckedOperation, status: number, problem: string): void {
  const violation = { ...operation, status, problem, during: recorder.during };
  recorder.violations.push(violation);
  // stderr, not the platform logger: a test run should show it even with logging turned down.
  process.stderr.write(`response contract violation: ${operation.method.toUpperCase()} ${operation.path} ${status}: ${problem}\n`);
}
