// PostgreSQL error codes the services handle on purpose. Drizzle wraps driver errors, so the
// code is looked up on the error and its causes.
export const pgErrorCodes = { uniqueViolation: "23505", checkViolation: "23514", serializationFailure: "40001" } as const;

export function pgErrorCode(error: unknown): string | undefined {
  for (let current = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === "string" && /^[0-9A-Z]{5}$/.test(current.code)) return current.code;
    current = current.cause as typeof current;
  }
  return undefined;
}

export function pgConstraint(error: unknown): string | undefined {
  for (let current = error as { constraint?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    if (typeof current.constraint === "string") return current.constraint;
    current = current.cause as typeof current;
  }
  return undefined;
}
