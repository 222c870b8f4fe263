// One pino logger per process, created by the entry point. Redaction is a second line of
// defence: secrets and keys are never passed to the logger in the first place.
import { pino, type Logger } from "pino";

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

export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({ level: options.level, name: options.name ?? "keyledger", redact: { paths: redactedPaths, censor: "[redacted]" } });
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
