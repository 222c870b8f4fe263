// A shop's after-sales reputation (docs/disputes.md, "Reputation"): the share of its paid orders
// that were disputed, the share that were refunded (in part or in full), and the median time to
// a merchant's first reply on support tickets. Rates are basis points of paid orders, computed
// in integers; below `ordersMin` paid orders a rate says too little to lengthen anyone's holds.
import { shopFirstReplyStatistics } from "../tickets/firstReplyTimes.ts";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export type ReputationSettings = { disputeRateThresholdBps: number; ordersMin: number; holdFactor: number };

export type ShopReputation = {
  shopId: string;
  paidOrders: number;
  disputedOrders: number;
  refundedOrders: number;
  disputeRateBps: number;
  refundRateBps: number;
  /** The median seconds from a ticket's opening to the merchant's first reply (docs/support.md); null before any reply. */
  firstReplyMedianSeconds: number | null;
  /** New sales' proceeds are held `holdFactor` times the category's window. */
  holdsExtended: boolean;
};

/** The median number of seconds from a support ticket's opening to the merchant's first reply, whole seconds. */
export async function firstReplyMedianSecondsOf(db: Drizzle, shopId: bigint): Promise<number | null> {
  const { medianSeconds } = await shopFirstReplyStatistics(db, shopId);
  return medianSeconds === null ? null : Math.round(medianSeconds);
}

export async function shopReputation(db: Drizzle, shopId: bigint, settings: ReputationSettings): Promise<ShopReputation> {
  const shop = await queryOne<{ id: bigint }>(db, sql`SELECT id FROM shops WHERE id = ${shopId}`);
  if (!shop) throw new AppError("not_found", `No shop ${shopId}.`);
  // Orders that reached paid (paid_at is set once, whatever came after: fulfilled, refunded).
  const row = await queryOne<{ paid: string; disputed: string; refunded: string }>(
    db,
    sql`SELECT (SELECT count(*) FROM orders WHERE shop_id = ${shopId} AND paid_at IS NOT NULL)::text AS paid,
               (SELECT count(DISTINCT order_id) FROM disputes WHERE shop_id = ${shopId})::text AS disputed,
               (SELECT count(DISTINCT o.id) FROM orders o
                 WHERE o.shop_id = ${shopId} AND o.paid_at IS NOT NULL
                   AND (o.state = 'refunded' OR EXISTS (SELECT 1 FROM dispute_refunds r WHERE r.order_id = o.id)))::text AS refunded`,
  );
  const paidOrders = Number(row!.paid);
  const disputedOrders = Number(row!.disputed);
  const refundedOrders = Number(row!.refunded);
  const disputeRateBps = rateBps(disputedOrders, paidOrders);
  return {
    shopId: String(shopId),
    paidOrders,
    disputedOrders,
    refundedOrders,
    disputeRateBps,
    refundRateBps: rateBps(refundedOrders, paidOrders),
    firstReplyMedianSeconds: await firstReplyMedianSecondsOf(db, shopId),
    holdsExtended: holdsExtendedFor({ paidOrders, disputeRateBps }, settings),
  };
}

/** Whether a shop's new sales are held longer: enough paid orders, and a dispute rate above the threshold. */
export function holdsExtendedFor(reputation: { paidOrders: number; disputeRateBps: number }, settings: ReputationSettings): boolean {
  return reputation.paidOrders >= settings.ordersMin && reputation.disputeRateBps > settings.disputeRateThresholdBps;
}

/** floor(part x 10000 / whole); 0 when there is no whole. */
export function rateBps(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.floor((part * 10_000) / whole);
}
