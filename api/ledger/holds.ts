// Two-phase amounts: a hold is created by a journal transaction that moves the amount into a
// holding account (requestPayout, postResale with a chargeback window) and resolved exactly
// once by ledger_resolve_hold: posted, voided, or expired (its expiry_action applied once
// expires_at has passed). Every resolution is itself a balanced journal transaction.
import { AppError } from "../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";

export type HoldAction = "post" | "void" | "expire";
export type HoldState = "pending" | "posted" | "voided" | "expired";

export type ResolveHoldReturnType = { holdId: bigint; transactionId: bigint; state: HoldState; created: boolean };

type Raw = { s: string; tx?: number | string | null; state?: HoldState };

/**
 * Resolves a hold. A retry of the same resolution returns it again (created: false); any other
 * resolution of a resolved hold is invalid_state; posting after expiry is invalid_state (the
 * expiry job voids or releases it). `now` is for tests and replays; it defaults to the
 * database's clock.
 */
export async function resolveHold(db: Drizzle, parameters: { holdId: bigint; action: HoldAction; now?: Date }): Promise<ResolveHoldReturnType> {
  const { holdId, action } = parameters;
  const now = parameters.now ? sql`${parameters.now.toISOString()}::timestamptz` : sql`now()`;
  const row = await queryOne<{ result: Raw }>(db, sql`SELECT ledger_resolve_hold(${holdId}, ${action}, ${now}) AS result`);
  const result = row!.result;
  switch (result.s) {
    case "created":
    case "exists":
      return { holdId, transactionId: BigInt(result.tx!), state: result.state!, created: result.s === "created" };
    // Said in terms of the request the amount is held for (a payout, a resale's proceeds), not of
    // the ledger's holds, their ids or their states.
    case "not_found":
      throw new AppError("not_found", "No amount is held for this request.");
    case "expired":
      throw new AppError("invalid_state", "This request has expired and its amount went back; it can no longer be approved. Make a new request.");
    case "not_expired":
      throw new AppError("invalid_state", "This request has not expired yet.");
    default:
      throw new AppError(
        "invalid_state",
        `This request was already ${settledWords[result.state ?? ""] ?? "settled"}; it cannot be ${actionWords[action]} now.`,
        {
          details: { state: settledWords[result.state ?? ""] ?? "settled" },
        },
      );
  }
}

/** A hold's final state, as the request it holds for was settled. */
const settledWords: Record<string, string> = { posted: "completed", voided: "cancelled", expired: "expired" };
const actionWords: Record<HoldAction, string> = { post: "completed", void: "cancelled", expire: "expired" };

export async function holdIdByReference(db: Drizzle, reference: { type: string; id: string }): Promise<bigint> {
  const row = await queryOne<{ id: bigint }>(db, sql`SELECT id FROM ledger_holds WHERE reference_type = ${reference.type} AND reference_id = ${reference.id}`);
  if (!row) throw new AppError("not_found", `No ${reference.type} ${reference.id} is waiting for a decision.`);
  return row.id;
}

/**
 * Resolves up to `limit` pending holds whose expiry has passed (payout requests are voided,
 * resale proceeds released). Safe to run from several workers at once: each hold is locked and
 * resolved once. Returns the holds it resolved.
 */
export async function expireHolds(db: Drizzle, parameters: { now?: Date; limit: number }): Promise<ResolveHoldReturnType[]> {
  const now = parameters.now ? sql`${parameters.now.toISOString()}::timestamptz` : sql`now()`;
  const due = await queryRows<{ id: bigint }>(
    db,
    sql`SELECT id FROM ledger_holds WHERE state = 'pending' AND expires_at <= ${now} ORDER BY expires_at, id LIMIT ${parameters.limit}`,
  );
  const resolved: ResolveHoldReturnType[] = [];
  for (const { id } of due) {
    try {
      const result = await resolveHold(db, { holdId: id, action: "expire", now: parameters.now });
      if (result.created) resolved.push(result);
    } catch (error) {
      // Resolved by someone else between the scan and the lock: nothing left to do for it.
      if (!(error instanceof AppError && error.code === "invalid_state")) throw error;
    }
  }
  return resolved;
}
