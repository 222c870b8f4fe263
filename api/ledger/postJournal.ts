// Posts journal transactions through ledger_post_batch (core/store/functions/ledger_post_batch.sql): one round
// trip for one entry or thousands. Works on the root database or inside a caller's
// transaction: pass the `tx` of `db.transaction(async (tx) => ...)` and the entry commits or
// rolls back with the caller's own writes.
import { AppError } from "../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { payloadHash } from "./canonical.ts";
import type { AccountRef, JournalInput, JournalResult, PostJournalReturnType } from "./types.ts";
import { validateJournalInput } from "./validateJournalInput.ts";

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
    // The messages name no ledger account, balance or transaction id: they may reach a merchant
    // or a gateway, and other parties' balances are not theirs to see. The posting function's
    // own words stay in `cause` for whoever debugs the caller.
    case "conflict":
      return new AppError(
        "idempotency_conflict",
        `Idempotency key ${input.idempotencyKey} was already used for a request with other details; repeat that request exactly, or use a new key.`,
        { details: { idempotencyKey: input.idempotencyKey } },
      );
    case "insufficient_funds":
      return new AppError("insufficient_funds", "The amount is more than the balance it would be drawn from; ask for less. Nothing was written.", {
        details: { idempotencyKey: input.idempotencyKey },
        cause: result.detail,
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
