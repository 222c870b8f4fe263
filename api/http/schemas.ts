// zod pieces shared by routes. Objects are strict: an unknown field is an error, so a typo in
// a request never silently does nothing.
import { z } from "zod";
import { AppError } from "../../core/errors.ts";

// C0 control characters and DEL, except tab, line feed and carriage return. PostgreSQL's text
// cannot hold NUL at all (a NUL reaching a statement was a 500), and the others only hide
// what a text says; no field of this API has a use for them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse these; \p{Cc} would also refuse U+0080-U+009F and tab/LF/CR
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// Single-line fields refuse tab and line breaks too.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse these; \p{Cc} would also refuse U+0080-U+009F
const controlOrLineBreak = /[\u0000-\u001F\u007F]/;
// Bidirectional overrides and isolates, zero-width and other invisible characters: in a name
// they make what is shown differ from what is stored (a shop named "\u202Emoc.knab" reads as
// "bank.com"), so names refuse them.
const invisibleOrBidi = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;

/** Free text on one line (a reason, an id chosen elsewhere): no control characters. */
export function singleLineText(limits: { min?: number; max: number; trim?: boolean; refuse?: { pattern: RegExp; message: string } }) {
  let text = z.string();
  // Checked before trimming: String.prototype.trim also removes a leading or trailing U+FEFF,
  // which would otherwise pass unseen instead of being refused.
  if (limits.refuse) {
    const { pattern, message } = limits.refuse;
    text = text.refine((value) => !pattern.test(value), message);
  }
  // Trimmed unless the exact text matters (signed gateway parameters).
  if (limits.trim !== false) text = text.trim();
  return text
    .min(limits.min ?? 0)
    .max(limits.max)
    .refine((value) => !controlOrLineBreak.test(value), "must not contain control characters (NUL, tab, line breaks, escapes)");
}

/** Free text that may span lines (descriptions, delivery notes): no control characters but tab and line breaks. */
export function multilineText(limits: { min?: number; max: number }) {
  return z
    .string()
    .min(limits.min ?? 0)
    .max(limits.max)
    .refine((value) => !controlCharacter.test(value), "must not contain control characters (NUL, escapes); tabs and line breaks are fine");
}

/** A name people read (display names, shop and product names): one line, no invisible or direction-changing characters. */
export function displayName(limits: { max: number }) {
  return singleLineText({
    min: 1,
    max: limits.max,
    refuse: { pattern: invisibleOrBidi, message: "must not contain invisible or direction-changing characters (zero-width spaces, RTL overrides)" },
  });
}

/** Characters a token or key chosen by a client may use: printable ASCII, no spaces. */
export const printableToken = (limits: { min: number; max: number }) =>
  z
    .string()
    .regex(new RegExp(`^[\\x21-\\x7E]{${limits.min},${limits.max}}$`), `must be ${limits.min} to ${limits.max} printable ASCII characters without spaces`);

/**
 * Refuses control characters (as multilineText) in every string of a request part, whatever
 * its route's schema says: a route that declares a plain z.string() still never passes a NUL
 * to a statement. Walks without recursion (a deeply nested body cannot overflow the stack).
 */
export function refuseControlCharacters(value: unknown, part: string): void {
  const pending: { value: unknown; path: string }[] = [{ value, path: "" }];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (typeof next.value === "string") {
      if (controlCharacter.test(next.value)) {
        const where = next.path ? `${part}.${next.path}` : part;
        throw new AppError("validation_failed", `Invalid ${where}: must not contain control characters (NUL, escapes).`, {
          details: [{ location: part, path: next.path, code: "control_character", message: "must not contain control characters" }],
        });
      }
    } else if (next.value !== null && typeof next.value === "object") {
      for (const [name, child] of Object.entries(next.value)) {
        if (controlCharacter.test(name)) {
          throw new AppError("validation_failed", `Invalid ${part}: a field name contains control characters.`);
        }
        pending.push({ value: child, path: next.path ? `${next.path}.${name}` : name });
      }
    }
  }
}

/** Integer minor units: a decimal string or a safe integer in, a bigint out. */
export const moneyMinor = z
  .union([z.string().regex(/^\d{1,18}$/, 'must be a whole number of minor units, e.g. "1999"'), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
  .transform((value) => BigInt(value));

export const currencyCode = z.string().regex(/^[A-Z]{3,8}$/, "must be an upper-case currency code such as CNY, USD or USDK");

/** A payout request's body (a shop's or a distributor's): the amount, its currency, and the client's idempotency key. */
export const payoutRequestBody = z.strictObject({
  amountMinor: moneyMinor,
  currency: currencyCode,
  /** The client's idempotency key: a retried request returns the same payout. */
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  /** The wallet the payout is paid to, when it goes on-chain: checked against the flagged list (docs/compliance.md). */
  wallet: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x address of 40 hex digits")
    .transform((value) => value.toLowerCase())
    .optional(),
});

/** A numeric id in a path: digits only, at most 18 of them. */
export const idString = z
  .string()
  .regex(/^\d{1,18}$/, "must be a numeric id")
  .transform((value) => BigInt(value));

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z.string().max(64).optional(),
});

export const email = z.string().trim().toLowerCase().email("must be an email address").max(254);
export const password = z.string().min(10, "must be at least 10 characters").max(256);

export const productCategories = ["game_card", "software_licence", "course_code", "subscription", "digital_content", "service_voucher"] as const;

/** A coupon code as typed by a buyer or chosen by a merchant: compared upper-case (docs/pricing.md). */
export const couponCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9_-]{4,32}$/, "must be 4 to 32 letters, digits, - or _");

/** A sub-store's slug (docs/distribution.md): 3-40 of a-z 0-9 -, starting with a letter or digit. */
export const substoreSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{2,39}$/, "must be a sub-store slug: 3-40 lower-case letters, digits or '-'");
