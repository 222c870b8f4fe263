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
    case "not_found":
      throw new AppError("not_found", `Hold ${holdId} does not exist.`);
    case "expired":
      throw new AppError("invalid_state", `Hold ${holdId} has expired and can no longer be posted.`, { details: { holdId: holdId.toString() } });
    case "not_expired":
      throw new AppError("invalid_state", `Hold ${holdId} has not expired yet.`, { details: { holdId: holdId.toString() } });
    default:
      throw new AppError(
        "invalid_state",
        `Hold ${holdId} is already ${result.state}; it cannot be ${action === "post" ? "posted" : action === "void" ? "voided" : "expired"}.`,
        {
          details: { holdId: holdId.toString(), state: result.state },
        },
      );
  }
}

export async function holdIdByReference(db: Drizzle, reference: { type: string; id: string }): Promise<bigint> {
  const row = await queryOne<{ id: bigint }>(db, sql`SELECT id FROM ledger_holds WHERE reference_type = ${reference.type} AND reference_id = ${reference.id}`);
  if (!row) throw new AppError("not_found", `No hold for ${reference.type} ${reference.id}.`);
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
