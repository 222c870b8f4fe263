// Pieces of the response schemas shared by every area. They describe the JSON the client
// receives: bigints arrive as decimal strings, dates as ISO 8601 strings. Objects are strict,
// so a field a service adds without declaring it is caught by the response check
// (api/http/responseCheck.ts) before the generated web types miss it.
import { z } from "zod";

/** Every error: `{ code, message, details }` (api/http/errorHandler.ts); details is null when there are none. */
export const errorBodySchema = z.strictObject({
  code: z.string().describe("A stable machine-readable code, e.g. validation_failed, not_found, rate_limited"),
  message: z.string().describe("What went wrong and what to do about it"),
  details: z.unknown().describe("Per-code details (validation issues, retryAfterSeconds, an error id), or null"),
});

/** A route that answers 204 with no body. */
export const noContent = z.undefined().describe("No content");

/** A plain-text answer (EPay's `success`, HTML pages); the route's content type says which. */
export const textBody = z.string();

/** A decimal integer string: ids, money in minor units, block numbers, token ids. */
export const decimalString = z.string().regex(/^-?\d+$/);
/** An ISO 8601 date-time as JSON.stringify writes a Date. */
export const isoDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
export const hexString = z.string().regex(/^0x[0-9a-fA-F]*$/);
export const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/**
 * One page of a list (docs/decisions.md, "One pagination convention"): `items`, and the opaque
 * `nextCursor` to pass as `cursor` for the next page, null on the last page.
 */
export function pageOf<Item extends z.ZodType>(item: Item) {
  return z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
}
