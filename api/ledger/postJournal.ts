// Posts journal transactions through ledger_post_batch (core/store/functions/ledger_post_batch.sql): one round
// trip for one entry or thousands. Works on the root database or inside a caller's
// transaction: pass the `tx` of `db.transaction(async (tx) => ...)` and the entry commits or
// rolls back with the caller's own writes.
import { AppError } from "../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { payloadHash } from "./canonical.ts";
import { journalLimits } from "./limits.ts";
import {
  accountPurposes,
  ownerTypes,
  referenceTypes,
  type AccountRef,
  type JournalInput,
  type JournalResult,
  type PostJournalReturnType,
} from "./types.ts";

const currencyPattern = /^[A-Z]{3,8}$/;
const kindPattern = /^[a-z][a-z_]{1,40}$/;

function invalid(message: string, details?: unknown): AppError {
  return new AppError("validation_failed", message, { details });
}

function checkAccountRef(ref: AccountRef, where: string): void {
  if (typeof ref === "bigint") {
    if (ref <= 0n) throw invalid(`${where}: account id must be positive.`);
    return;
  }
  if (!ownerTypes.includes(ref.ownerType)) throw invalid(`${where}: unknown owner type ${String(ref.ownerType)}.`);
  if (!accountPurposes.includes(ref.purpose)) throw invalid(`${where}: unknown purpose ${String(ref.purpose)}.`);
  if (typeof ref.ownerId !== "bigint" || ref.ownerId < 0n) throw invalid(`${where}: owner id must be a non-negative bigint.`);
  if ((ref.ownerType === "platform") !== (ref.ownerId === 0n)) throw invalid(`${where}: the platform (and only it) has owner id 0.`);
}

function checkAmount(amount: bigint, where: string): void {
  if (typeof amount !== "bigint") throw invalid(`${where}: amounts are bigint minor units.`);
  if (amount === 0n) throw invalid(`${where}: an amount of zero posts nothing.`);
  if (amount > journalLimits.amountMinorMax || -amount > journalLimits.amountMinorMax) {
    throw invalid(`${where}: amount beyond ${journalLimits.amountMinorMax} minor units.`);
  }
}

function refKey(ref: AccountRef, currency: string): string {
  return typeof ref === "bigint" ? `id:${ref}` : `${ref.ownerType}:${ref.ownerId}:${ref.purpose}:${currency}`;
}

/** Rejects malformed input before anything is written: AppError validation_failed. */
export function validateJournalInput(input: JournalInput): void {
  const key = input.idempotencyKey;
  if (typeof key !== "string" || key.length === 0 || key.length > journalLimits.idempotencyKeyLengthMax) {
    throw invalid(`The idempotency key must be 1 to ${journalLimits.idempotencyKeyLengthMax} characters.`);
  }
  if (!kindPattern.test(input.kind)) throw invalid(`Kind ${JSON.stringify(input.kind)} must match ${kindPattern}.`);
  if (!referenceTypes.includes(input.reference.type)) throw invalid(`Unknown reference type ${String(input.reference.type)}.`);
  if (!input.reference.id || input.reference.id.length > journalLimits.referenceIdLengthMax) {
    throw invalid(`The reference id must be 1 to ${journalLimits.referenceIdLengthMax} characters.`);
  }
  const postings = input.postings;
  if (!Array.isArray(postings) || postings.length < 2 || postings.length > journalLimits.postingsMax) {
    throw invalid(`A journal transaction has 2 to ${journalLimits.postingsMax} postings.`);
  }
  const sums = new Map<string, bigint>();
  const seen = new Set<string>();
  postings.forEach((posting, index) => {
    const where = `posting ${index}`;
    checkAccountRef(posting.account, where);
    checkAmount(posting.amountMinor, where);
    if (!currencyPattern.test(posting.currency)) throw invalid(`${where}: currency must be 3 to 8 capital letters.`);
    const identity = refKey(posting.account, posting.currency);
    if (seen.has(identity)) throw invalid(`${where}: the same account is posted twice; merge the amounts.`);
    seen.add(identity);
    sums.set(posting.currency, (sums.get(posting.currency) ?? 0n) + posting.amountMinor);
  });
  for (const [currency, sum] of sums) {
    if (sum !== 0n) throw invalid(`Postings in ${currency} sum to ${sum}, not zero: a journal transaction must balance.`);
  }
  const metadata = Object.entries(input.metadata ?? {});
  if (metadata.length > journalLimits.metadataKeysMax) throw invalid(`At most ${journalLimits.metadataKeysMax} metadata keys.`);
  for (const [name, value] of metadata) {
    if (typeof value === "string" && value.length > journalLimits.metadataValueLengthMax) {
      throw invalid(`Metadata ${name} is longer than ${journalLimits.metadataValueLengthMax} characters.`);
    }
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw invalid(`Metadata ${name} must be a safe integer.`);
  }
  const hold = input.hold;
  if (hold) {
    checkAccountRef(hold.holdingAccount, "hold");
    checkAccountRef(hold.postAccount, "hold");
    checkAccountRef(hold.voidAccount, "hold");
    checkAmount(hold.amountMinor, "hold");
    if (hold.amountMinor < 0n) throw invalid("hold: the amount is positive.");
    const credited = postings.find(
      (posting) =>
        refKey(posting.account, posting.currency) === refKey(hold.holdingAccount, hold.currency) &&
        posting.amountMinor === hold.amountMinor,
    );
    if (!credited) throw invalid("hold: the entry must credit the holding account with the hold's amount.");
  }
}

function refJson(ref: AccountRef, currency?: string): Record<string, string> {
  if (typeof ref === "bigint") return { a: ref.toString() };
  return { o: ref.ownerType, i: ref.ownerId.toString(), u: ref.purpose, ...(currency ? { c: currency } : {}) };
}

/** The wire form ledger_post_batch reads (short keys keep big batches small). */
export function entryJson(input: JournalInput): Record<string, unknown> {
  const hold = input.hold;
  return {
    k: input.idempotencyKey,
    h: payloadHash(input).toString("hex"),
    kind: input.kind,
    rt: input.reference.type,
    rid: input.reference.id,
    m: input.metadata ?? {},
    p: input.postings.map((posting) => ({
      ...refJson(posting.account, posting.currency),
      c: posting.currency,
      x: posting.amountMinor.toString(),
    })),
    ...(hold
      ? {
          hold: {
            ha: refJson(hold.holdingAccount),
            pa: refJson(hold.postAccount),
            va: refJson(hold.voidAccount),
            x: hold.amountMinor.toString(),
            c: hold.currency,
            exp: hold.expiresAt?.toISOString() ?? null,
            act: hold.expiryAction ?? "void",
          },
        }
      : {}),
  };
}

type RawResult = { s: JournalResult["status"]; tx: number | string | null; d: string | null };

function toResult(raw: RawResult): JournalResult {
  if (raw.s === "created" || raw.s === "exists") return { status: raw.s, transactionId: BigInt(raw.tx!) };
  if (raw.s === "conflict") return { status: "conflict", transactionId: BigInt(raw.tx ?? 0), detail: raw.d ?? undefined };
  return { status: raw.s, detail: raw.d ?? raw.s };
}

/**
 * Posts already validated entries in one statement and returns one result per entry, in order.
 * An exception means the whole statement failed (for example two batches creating the same
 * new key at once); nothing of it was written.
 */
export async function postJournalEntries(db: Drizzle, inputs: JournalInput[]): Promise<JournalResult[]> {
  if (inputs.length === 0) return [];
  const payload = JSON.stringify(inputs.map(entryJson));
  const row = await queryOne<{ results: RawResult[] }>(db, sql`SELECT ledger_post_batch(${payload}::jsonb) AS results`);
  const results = row!.results;
  if (results.length !== inputs.length) throw new Error(`ledger_post_batch returned ${results.length} results for ${inputs.length} entries`);
  return results.map(toResult);
}

/** Turns a non-success result into the AppError the caller sees. */
export function resultToError(input: JournalInput, result: JournalResult): AppError | undefined {
  switch (result.status) {
    case "created":
    case "exists":
      return undefined;
    case "conflict":
      return new AppError(
        "idempotency_conflict",
        `Idempotency key ${input.idempotencyKey} was already used for a different journal transaction (${result.transactionId}).`,
        { details: { idempotencyKey: input.idempotencyKey, transactionId: result.transactionId.toString() } },
      );
    case "insufficient_funds":
      return new AppError("insufficient_funds", `Insufficient funds: ${result.detail}.`, {
        details: { idempotencyKey: input.idempotencyKey },
      });
    case "invalid":
      return new AppError("validation_failed", `Journal transaction rejected: ${result.detail}.`, {
        details: { idempotencyKey: input.idempotencyKey },
      });
  }
}

/**
 * Posts one journal transaction exactly once. A retry with the same key and payload returns
 * the original transaction (created: false); the same key with another payload throws
 * idempotency_conflict; a debit beyond a floored account (a shop's payable) throws
 * insufficient_funds. Nothing is written on any error.
 */
export async function postJournal(db: Drizzle, input: JournalInput): Promise<PostJournalReturnType> {
  validateJournalInput(input);
  const [result] = await postJournalEntries(db, [input]);
  const error = resultToError(input, result!);
  if (error) throw error;
  const ok = result as { status: "created" | "exists"; transactionId: bigint };
  return { transactionId: ok.transactionId, created: ok.status === "created" };
}
