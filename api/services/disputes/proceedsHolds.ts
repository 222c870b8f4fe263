// Where a sale's proceeds wait out the after-sales window (docs/disputes.md, "Holds"): placing the
// ledger hold of each sale paid through the platform, releasing it when the window closes
// unless a dispute on the order keeps it frozen, and refunding out of it.
//
// Placement is not part of the sale's hot path (its ledger entry is posted by a group commit
// after the payment commits): the disputes sweep places holds every run, and a payout request
// places the shop's missing holds first, in its own transaction, after locking the shop's
// payable accounts. A payment entry posting to the shop waits for that lock (the posting function
// locks every account it touches), so every sale the payout could draw on is held before the
// payout is taken from what is left: no payout ever draws proceeds still inside their window.
import type { SQL } from "drizzle-orm";
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { postOrderRefund, type PostOrderRefundParameters, type PostOrderRefundReturnType } from "../../ledger/flows.ts";
import { resolveHold } from "../../ledger/holds.ts";
import { holdOrderProceeds } from "../../ledger/orderProceedsHold.ts";
import { type ReputationSettings, shopReputation } from "./shopReputation.ts";

/** Sales whose holds one run places at most; the next run (or payout) takes the rest. */
const placementsPerRunMax = 500;

/** SQL: a dispute on the order keeps its proceeds held (open, escalated, or rejected and still escalatable). */
export function disputeFreezes(orderId: SQL, now: SQL): SQL {
  return sql`EXISTS (SELECT 1 FROM disputes d WHERE d.order_id = ${orderId}
                AND (d.state IN ('open', 'escalated') OR (d.state = 'rejected' AND d.escalation_deadline > ${now})))`;
}

export function timestamp(now: Date | undefined): SQL {
  return now ? sql`${now.toISOString()}::timestamptz` : sql`now()`;
}

/**
 * Holds the proceeds of sales paid through the platform that have no hold yet (one shop's, or
 * every shop's). Inside a caller's transaction with `shopId`, the shop's payable accounts are
 * locked first (see the header). Returns how many holds it placed.
 */
export async function placeProceedsHolds(db: Drizzle, parameters: { shopId?: bigint; reputation: ReputationSettings; limit?: number }): Promise<number> {
  const onlyShop = parameters.shopId === undefined ? sql`` : sql`AND a.owner_id = ${parameters.shopId}`;
  if (parameters.shopId !== undefined) {
    await db.execute(
      sql`SELECT id FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${parameters.shopId} AND purpose = 'payable' ORDER BY id FOR UPDATE`,
    );
  }
  // The shop's share of each sale, less what refunds already took back from its payable.
  const sales = await queryRows<{ order_id: string; shop_id: bigint; currency: string; held: string; window_end: Date; window_seconds: number }>(
    db,
    sql`WITH paid AS (
          SELECT t.reference_id AS order_id, a.owner_id AS shop_id, p.currency, p.amount_minor AS share
          FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
          WHERE t.kind = 'order_payment' AND t.reference_type = 'order'
            AND t.id > (SELECT position FROM sweep_cursors WHERE name = 'proceeds-holds-from')
            AND a.owner_type = 'shop' AND a.purpose = 'payable' AND p.amount_minor > 0 ${onlyShop}
            AND NOT EXISTS (SELECT 1 FROM order_proceeds_holds ph WHERE ph.order_id = t.reference_id)
          ORDER BY t.id LIMIT ${parameters.limit ?? placementsPerRunMax})
        SELECT paid.order_id, paid.shop_id, paid.currency, w.window_seconds,
               coalesce(o.paid_at, o.created_at) AS window_end,
               (paid.share + coalesce((
                  SELECT sum(p2.amount_minor) FROM ledger_transactions t2 JOIN ledger_postings p2 ON p2.tx_id = t2.id
                    JOIN ledger_accounts a2 ON a2.id = p2.account_id
                  WHERE t2.reference_type = 'order' AND t2.reference_id = paid.order_id AND t2.kind = 'order_refund'
                    AND a2.owner_type = 'shop' AND a2.purpose = 'payable'), 0))::text AS held
        FROM paid JOIN orders o ON o.id = paid.order_id JOIN products pr ON pr.id = o.product_id
          JOIN after_sales_windows w ON w.category = pr.category`,
  );
  const extendedByShop = new Map<bigint, boolean>();
  let placed = 0;
  for (const sale of sales) {
    const shopId = BigInt(sale.shop_id);
    const amountMinor = BigInt(sale.held);
    if (amountMinor <= 0n) continue;
    let extended = extendedByShop.get(shopId);
    if (extended === undefined) {
      extended = (await shopReputation(db, shopId, parameters.reputation)).holdsExtended;
      extendedByShop.set(shopId, extended);
    }
    const windowSeconds = sale.window_seconds * (extended ? parameters.reputation.holdFactor : 1);
    const releaseAt = new Date(new Date(sale.window_end).getTime() + windowSeconds * 1000);
    const hold = await holdOrderProceeds(db, { orderId: sale.order_id, shopId, generation: 1, amountMinor, currency: sale.currency });
    const inserted = await queryOne<{ hold_id: bigint }>(
      db,
      sql`INSERT INTO order_proceeds_holds (hold_id, order_id, shop_id, generation, release_at, extended)
          VALUES (${hold.holdId}, ${sale.order_id}, ${shopId}, 1, ${releaseAt.toISOString()}::timestamptz, ${extended})
          ON CONFLICT DO NOTHING RETURNING hold_id`,
    );
    if (inserted) placed++;
  }
  return placed;
}

/**
 * Releases (posts back to the payable) the pending proceeds holds whose window has closed and
 * whose order no dispute freezes. Each hold is locked and the freeze checked again under the
 * lock, which opening a dispute also takes: a dispute opened at the last moment either commits
 * first (the hold stays) or waits and finds the window closed. `now` is for tests (a controlled
 * clock); it defaults to the database's.
 */
export async function releaseDueProceedsHolds(db: Drizzle, parameters: { now?: Date; limit: number }): Promise<number> {
  const now = timestamp(parameters.now);
  const due = await queryRows<{ hold_id: bigint }>(
    db,
    sql`SELECT ph.hold_id FROM order_proceeds_holds ph JOIN ledger_holds h ON h.id = ph.hold_id
        WHERE h.state = 'pending' AND ph.release_at <= ${now} AND NOT ${disputeFreezes(sql`ph.order_id`, now)}
        ORDER BY ph.release_at, ph.hold_id LIMIT ${parameters.limit}`,
  );
  let released = 0;
  for (const { hold_id } of due) {
    const done = await db.transaction(async (tx) => {
      // Lock first, check in a second statement: in READ COMMITTED a statement that waited for
      // the lock still reads the disputes as of its own start, so a dispute committed while it
      // waited would be missed; the next statement sees it.
      await tx.execute(sql`SELECT hold_id FROM order_proceeds_holds WHERE hold_id = ${hold_id} FOR UPDATE`);
      const still = await queryOne<{ hold_id: bigint }>(
        tx,
        sql`SELECT ph.hold_id FROM order_proceeds_holds ph JOIN ledger_holds h ON h.id = ph.hold_id
            WHERE ph.hold_id = ${hold_id} AND h.state = 'pending' AND NOT ${disputeFreezes(sql`ph.order_id`, now)}`,
      );
      if (!still) return false;
      await resolveHold(tx, { holdId: BigInt(hold_id), action: "post", now: parameters.now });
      return true;
    });
    if (done) released++;
  }
  return released;
}

export type ProceedsHoldRow = { hold_id: bigint; generation: number; release_at: Date; extended: boolean; amount_minor: bigint; state: string };

/**
 * The order's latest proceeds hold, locked (its row is what a release and a dispute's opening
 * serialise on), read again after the lock so that a release committed meanwhile is seen.
 */
export async function lockLatestProceedsHold(db: Drizzle, orderId: string): Promise<ProceedsHoldRow | undefined> {
  const locked = await queryOne<{ hold_id: bigint }>(
    db,
    sql`SELECT hold_id FROM order_proceeds_holds WHERE order_id = ${orderId} ORDER BY generation DESC LIMIT 1 FOR UPDATE`,
  );
  if (!locked) return undefined;
  return queryOne<ProceedsHoldRow>(
    db,
    sql`SELECT ph.hold_id, ph.generation, ph.release_at, ph.extended, h.amount_minor, h.state
        FROM order_proceeds_holds ph JOIN ledger_holds h ON h.id = ph.hold_id WHERE ph.hold_id = ${locked.hold_id}`,
  );
}

/**
 * Refunds (part of) an order inside the caller's transaction: a pending proceeds hold is voided
 * back to the payable, the refund is posted (api/ledger/flows.ts postOrderRefund), and what
 * remains of the shop's share is held again until the same release time.
 */
export async function refundThroughProceedsHold(
  tx: Drizzle,
  parameters: { orderId: string; shopId: bigint; amountMinor: bigint; currency: string; refundId: string; reason?: PostOrderRefundParameters["reason"] },
): Promise<PostOrderRefundReturnType> {
  const hold = await lockLatestProceedsHold(tx, parameters.orderId);
  const pending = hold?.state === "pending" ? hold : undefined;
  if (pending) await resolveHold(tx, { holdId: BigInt(pending.hold_id), action: "void" });
  const refund = await postOrderRefund(tx, { ...parameters, reason: parameters.reason ?? "dispute" });
  if (!pending) return refund;
  const rest = BigInt(pending.amount_minor) - refund.shopRefundMinor;
  if (rest < 0n) throw new AppError("internal", `The refund of order ${parameters.orderId} took more than its held proceeds.`);
  if (rest > 0n) {
    const generation = pending.generation + 1;
    const again = await holdOrderProceeds(tx, {
      orderId: parameters.orderId,
      shopId: parameters.shopId,
      generation,
      amountMinor: rest,
      currency: parameters.currency,
    });
    await tx.execute(
      sql`INSERT INTO order_proceeds_holds (hold_id, order_id, shop_id, generation, release_at, extended)
          VALUES (${again.holdId}, ${parameters.orderId}, ${parameters.shopId}, ${generation}, ${pending.release_at}, ${pending.extended})`,
    );
  }
  return refund;
}
