// JSON for values that carry bigints (amounts, ids, token ids are bigint in the services): they
// are written as decimal strings. Used by the API's answers and by job results (BullMQ stores
// return values as JSON, which has no bigint).

/** A JSON.stringify replacer: bigints as decimal strings. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

// A replacer function turns off V8's fast JSON.stringify for the whole value, and most values
// hold no bigint (views already carry strings): try the fast path, fall back when one is there.
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (error instanceof TypeError) return JSON.stringify(value, bigintReplacer);
    throw error;
  }
}
