// The one pagination convention of every list route (docs/decisions.md): the client sends
// `cursor` (and `limit`), the answer is `{ items, nextCursor }`, and nextCursor is null on the
// last page. A cursor is opaque: base64url of the last sort key of the page (an id, a time, a
// block:log position), so clients never build one and the sort key can change without them.
import { z } from "zod";
import { AppError } from "../../core/errors.ts";

const encodedLengthMax = 128;
const sortKeyPattern = /^[0-9A-Za-z:.\-+_]{1,80}$/;

export function encodeCursor(sortKey: string): string;
export function encodeCursor(sortKey: string | null | undefined): string | null;
export function encodeCursor(sortKey: string | null | undefined): string | null {
  return sortKey === null || sortKey === undefined ? null : Buffer.from(sortKey, "utf8").toString("base64url");
}

/** The `cursor` query parameter: an opaque cursor in, the sort key it carries out. */
export const cursorParam = z
  .string()
  .max(encodedLengthMax)
  .regex(/^[A-Za-z0-9_-]+$/, "must be the nextCursor of a previous page")
  .transform((cursor, context) => {
    const sortKey = Buffer.from(cursor, "base64url").toString("utf8");
    if (!sortKeyPattern.test(sortKey)) {
      context.addIssue({ code: "custom", message: "must be the nextCursor of a previous page" });
      return z.NEVER;
    }
    return sortKey;
  })
  .describe("Opaque: the nextCursor of the previous page");

/** The sort key of a cursor that must be a row id (keyset by id). */
export function idSortKey(sortKey: string | undefined): bigint | undefined {
  if (sortKey === undefined) return undefined;
  if (!/^\d{1,19}$/.test(sortKey)) throw new AppError("validation_failed", "cursor must be the nextCursor of a previous page.");
  return BigInt(sortKey);
}

/** A service's page with its sort-key cursor made opaque. */
export function opaque<Page extends { nextCursor: string | null }>(page: Page): Page {
  return { ...page, nextCursor: encodeCursor(page.nextCursor) };
}
