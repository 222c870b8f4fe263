// Revealing a sealed entitlement's code is redemption: the entitlement becomes redeemed and
// its redemption waits in the queue to be recorded on-chain (which locks the token). Only
// entitlements the order's buyer still owns in custody: a resold or withdrawn one is revealed
// by its current owner (api/services/resale, api/services/wallets). A rented entitlement stays
// sealed until its rental ends on `now` (the chain's clock: api/services/rentals/rentalClock.ts).
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { integerArrayLiteral } from "../../../core/store/sqlArrays.ts";
import { entitlementLifecycle, revealAssignments } from "../../../core/store/entitlementStates.ts";
import { inCustody } from "../resale/custody.ts";
import { rentedAt } from "../rentals/runningRental.ts";
import type { OrderRecord } from "./orderRecord.ts";

/** Reveals the order's sealed entitlements (only `entitlementIds` when given, none rented out at `now`); returns the ids it revealed. */
export async function revealOrderEntitlements(db: Drizzle, order: OrderRecord, entitlementIds?: bigint[], now: Date = new Date()): Promise<bigint[]> {
  const only = entitlementIds?.length ? sql`AND e.id = ANY(${integerArrayLiteral(entitlementIds)}::bigint[])` : sql``;
  const rows = await queryRows<{ id: bigint }>(
    db,
    sql`UPDATE entitlements e SET ${sql.raw(revealAssignments)}
        WHERE e.order_id = ${order.id} AND ${sql.raw(entitlementLifecycle.from("reveal", "e"))} AND e.owner_account_id IS NOT DISTINCT FROM ${order.buyerAccountId}
          AND ${inCustody(undefined)} ${only}
          AND NOT ${rentedAt(now)}
        RETURNING e.id`,
  );
  return rows.map((row) => BigInt(row.id));
}
