// One pino logger per process, created by the entry point. Redaction is a second line of
// defence: secrets and keys are never passed to the logger in the first place.
import { pino, type Logger } from "pino";
import { currentRequestId } from "./observability/requestContext.ts";

export type { Logger };

export const redactedPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  "password",
  "*.password",
  "queryPassword",
  "*.queryPassword",
  "secret",
  "*.secret",
  "key",
  "*.key",
  "keys",
  "*.keys",
  "content",
  "*.content",
  "privateKey",
  "*.privateKey",
];

export type LogDestination = { write(line: string): void };

export function createLogger(options: { level: string; name?: string; destination?: LogDestination }): Logger {
  const settings = {
    level: options.level,
    name: options.name ?? "keyledger",
    redact: { paths: redactedPaths, censor: "[redacted]" },
    serializers: { err: serializeError, error: serializeError },
    // Every line written while a request or a job it caused is in hand names its request id.
    mixin: requestIdOfLine,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

function requestIdOfLine(): { requestId?: string } {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

// What of a database error may be logged: its kind and where it happened, never its values.
// Drizzle's query errors carry the statement's parameters (in `params` and in the message),
// and PostgreSQL's `detail` quotes the values of a violated key: a password's argon2 hash, a
// wrapped data key, an encrypted EPay key all passed through those. pino's standard error
// serializer copies every enumerable field, so errors are serialized here from a list.
const loggedErrorFields = ["code", "constraint", "table", "column", "routine", "severity", "status", "type", "retryable"] as const;
const errorCauseDepthMax = 5;

/** An error as a log may carry it: type, message and stack with SQL parameters cut out, known-safe fields, its causes. */
export function serializeError(error: unknown, depth = 0): unknown {
  if (typeof error === "string") return redactSqlParameters(error);
  if (error === null || typeof error !== "object") return error;
  const source = error as Record<string, unknown> & { name?: unknown; message?: unknown; stack?: unknown; cause?: unknown };
  const serialized: Record<string, unknown> = {};
  if (error instanceof Error) serialized.type = error.constructor.name;
  if (typeof source.message === "string") serialized.message = redactSqlParameters(source.message);
  if (typeof source.stack === "string") serialized.stack = redactSqlParameters(source.stack);
  for (const field of loggedErrorFields) {
    const value = source[field];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") serialized[field] = value;
  }
  if (source.cause !== undefined && depth < errorCauseDepthMax) serialized.cause = serializeError(source.cause, depth + 1);
  return serialized;
}

/** Cuts the parameter list out of a "Failed query: ...\nparams: ..." text (Drizzle's query errors). */
export function redactSqlParameters(text: string): string {
  return text.replace(/\nparams: [\s\S]*?(?=\n\s+at |$)/g, "\nparams: [redacted]");
}

/** Strips credentials and query strings from a URL before it reaches a log or an error. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "[unparseable url]";
  }
}
