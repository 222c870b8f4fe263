// zod pieces shared by routes. Objects are strict: an unknown field is an error, so a typo in
// a request never silently does nothing.
import { z } from "zod";

/** Integer minor units: a decimal string or a safe integer in, a bigint out. */
export const moneyMinor = z
  .union([z.string().regex(/^\d{1,18}$/, "must be a whole number of minor units, e.g. \"1999\""), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
  .transform((value) => BigInt(value));

export const currencyCode = z.string().regex(/^[A-Z]{3,8}$/, "must be an upper-case currency code such as CNY, USD or USDK");

/** A numeric id in a path: digits only, at most 18 of them. */
export const idString = z.string().regex(/^\d{1,18}$/, "must be a numeric id").transform((value) => BigInt(value));

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z.string().max(64).optional(),
});

export const email = z.string().trim().toLowerCase().email("must be an email address").max(254);
export const password = z.string().min(10, "must be at least 10 characters").max(256);

export const productCategories = [
  "game_card",
  "software_licence",
  "course_code",
  "subscription",
  "digital_content",
  "service_voucher",
] as const;
