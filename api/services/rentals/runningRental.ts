// "Is this entitlement rented right now?", the one check every owner action makes (reveal,
// resale listing, withdrawal, a new rental listing): a settled rental whose term contains `now`
// (the chain's clock, rentalClock.ts). Nothing runs at the end of a term: from its end on the
// check simply answers no, as the contract's userOf does.
import { AppError } from "../../../core/errors.ts";
import type { SQL } from "drizzle-orm";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

/** SQL: a settled rental of entitlement `e` whose term contains `now`. */
export function rentedAt(now: Date): SQL {
  return sql`EXISTS (SELECT 1 FROM rentals r WHERE r.entitlement_id = e.id AND r.state = 'settled' AND r.starts_at <= ${now} AND r.ends_at > ${now})`;
}

export async function runningRentalEnd(db: Drizzle, entitlementId: bigint, now: Date): Promise<Date | undefined> {
  const row = await queryOne<{ ends_at: Date }>(
    db,
    sql`SELECT ends_at FROM rentals WHERE entitlement_id = ${entitlementId} AND state = 'settled' AND starts_at <= ${now} AND ends_at > ${now}
        ORDER BY ends_at DESC LIMIT 1`,
  );
  return row ? new Date(row.ends_at) : undefined;
}

/** Refuses an owner's action while the entitlement is rented (409 invalid_state, retry after the end). */
export async function refuseWhileRented(db: Drizzle, entitlementId: bigint, now: Date): Promise<void> {
  const end = await runningRentalEnd(db, entitlementId, now);
  if (end) {
    throw new AppError(
      "invalid_state",
      `Entitlement ${entitlementId} is rented until ${end.toISOString()}: its owner cannot reveal, sell or withdraw it until then.`,
    );
  }
}
