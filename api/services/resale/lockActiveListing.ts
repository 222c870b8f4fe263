// Lock order for resale rows: a listing before its entitlement. Settlement locks the listing
// and then the entitlement; anything that changes an entitlement (and so, through the trigger,
// pulls its listing) locks the active listing first, so the two never wait on each other in
// opposite orders (a deadlock PostgreSQL would break by failing one of them).
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export async function lockActiveListing(tx: Drizzle, entitlementId: bigint): Promise<bigint | undefined> {
  const row = await queryOne<{ id: bigint }>(tx, sql`SELECT id FROM resale_listings WHERE entitlement_id = ${entitlementId} AND state = 'active' FOR UPDATE`);
  return row ? BigInt(row.id) : undefined;
}
