// Revealing a sealed entitlement's code is redemption: the entitlement becomes redeemed and
// its redemption waits in the queue to be recorded on-chain (which locks the token). Only
// entitlements the order's buyer still owns in custody: a resold or withdrawn one is revealed
// by its current owner (api/services/resale, api/services/wallets).
import { queryRows, sql, type Drizzle } from "../../store/database.ts";
import { integerArrayLiteral } from "../../store/sqlArrays.ts";

export async function revealOrderEntitlements(db: Drizzle, orderId: string, entitlementIds?: bigint[]): Promise<number> {
  const rows = await queryRows<{ id: bigint }>(
    db,
    entitlementIds && entitlementIds.length
      ? sql`UPDATE entitlements SET state = 'redeemed', revealed_at = now(), redeem_state = 'pending'
            WHERE order_id = ${orderId} AND state = 'sealed' AND owner_account_id IS NOT DISTINCT FROM (SELECT buyer_account_id FROM orders WHERE id = ${orderId})
            AND (owner_wallet IS NULL OR coalesce((SELECT w.direction FROM wallet_movements w WHERE w.entitlement_id = entitlements.id AND w.state <> 'failed' ORDER BY w.id DESC LIMIT 1), 'deposit') = 'deposit')
            AND id = ANY(${integerArrayLiteral(entitlementIds)}::bigint[]) RETURNING id`
      : sql`UPDATE entitlements SET state = 'redeemed', revealed_at = now(), redeem_state = 'pending'
            WHERE order_id = ${orderId} AND state = 'sealed'
            AND owner_account_id IS NOT DISTINCT FROM (SELECT buyer_account_id FROM orders WHERE id = ${orderId})
            AND (owner_wallet IS NULL OR coalesce((SELECT w.direction FROM wallet_movements w WHERE w.entitlement_id = entitlements.id AND w.state <> 'failed' ORDER BY w.id DESC LIMIT 1), 'deposit') = 'deposit') RETURNING id`,
  );
  return rows.length;
}
