// Revealing a sealed entitlement's code is redemption: the entitlement becomes redeemed and
// its redemption waits in the queue to be recorded on-chain (which locks the token).
import { queryRows, sql, type Drizzle } from "../../store/database.ts";
import { integerArrayLiteral } from "../../ledger/sqlArrays.ts";

export async function revealOrderEntitlements(db: Drizzle, orderId: string, entitlementIds?: bigint[]): Promise<number> {
  const rows = await queryRows<{ id: bigint }>(
    db,
    entitlementIds && entitlementIds.length
      ? sql`UPDATE entitlements SET state = 'redeemed', revealed_at = now(), redeem_state = 'pending'
            WHERE order_id = ${orderId} AND state = 'sealed' AND id = ANY(${integerArrayLiteral(entitlementIds)}::bigint[]) RETURNING id`
      : sql`UPDATE entitlements SET state = 'redeemed', revealed_at = now(), redeem_state = 'pending'
            WHERE order_id = ${orderId} AND state = 'sealed' RETURNING id`,
  );
  return rows.length;
}
