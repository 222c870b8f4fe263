// Coupon uses, exactly once under concurrency. The common claim is one statement: the counter's
// conditional UPDATE (enabled, under its total limit) and the use's row together, so the
// coupon's row is locked for one statement and its commit, not a transaction's round trips
// (every order of a shop-wide coupon queues on that row). Concurrent claims queue on the row
// lock and PostgreSQL re-checks the condition on the row the one before committed, so the total
// limit holds. A per-buyer limit needs the buyer's uses counted after the lock is taken, which
// one statement's snapshot cannot do, so those coupons (and any claim the statement refused,
// to answer why) take the careful path: a transaction that locks the row (FOR UPDATE), then
// checks both limits against what the claims before it committed. The
// coupons_uses_within_limit constraint refuses a counter past its limit whatever happens.
// The claim is taken before the order row is written; if the order is then not created, the
// claim is released (the workflow's compensation); expireOrders releases the uses of orders
// that expire unpaid.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export async function claimCoupon(db: Drizzle, claim: { couponId: bigint; orderId: string; buyerKey: string }): Promise<void> {
  const quick = await queryOne<{ claimed: boolean }>(
    db,
    sql`WITH counted AS (
          UPDATE coupons SET uses = uses + 1
          WHERE id = ${claim.couponId} AND disabled_at IS NULL AND per_buyer_max IS NULL AND (uses_max IS NULL OR uses < uses_max)
          RETURNING id
        ),
        recorded AS (
          INSERT INTO coupon_uses (order_id, coupon_id, buyer_key) SELECT ${claim.orderId}, id, ${claim.buyerKey} FROM counted RETURNING coupon_id
        )
        SELECT EXISTS (SELECT 1 FROM recorded) AS claimed`,
  );
  if (quick?.claimed) return;
  await claimCarefully(db, claim);
}

/** The claim under the coupon's row lock: the per-buyer limit, and the reason a claim is refused. */
async function claimCarefully(db: Drizzle, claim: { couponId: bigint; orderId: string; buyerKey: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const coupon = await queryOne<{ code: string; uses: number; uses_max: number | null; per_buyer_max: number | null; disabled_at: Date | null }>(
      tx,
      sql`SELECT code, uses, uses_max, per_buyer_max, disabled_at FROM coupons WHERE id = ${claim.couponId} FOR UPDATE`,
    );
    if (!coupon) throw new AppError("coupon_unknown", "The coupon no longer exists. Remove it and check out again.");
    if (coupon.disabled_at !== null)
      throw new AppError("coupon_not_usable", `Coupon ${coupon.code} has been disabled by the shop. Remove it or use another coupon.`);
    if (coupon.uses_max !== null && coupon.uses >= coupon.uses_max) {
      throw new AppError("coupon_exhausted", `Coupon ${coupon.code} has been used as many times as it allows. Remove it or use another coupon.`);
    }
    if (coupon.per_buyer_max !== null) {
      const used = await queryOne<{ n: string }>(
        tx,
        sql`SELECT count(*) AS n FROM coupon_uses WHERE coupon_id = ${claim.couponId} AND buyer_key = ${claim.buyerKey} AND released_at IS NULL`,
      );
      if (Number(used?.n ?? 0) >= coupon.per_buyer_max) {
        throw new AppError("coupon_exhausted", `You have used coupon ${coupon.code} as many times as it allows per buyer. Remove it to continue.`);
      }
    }
    await tx.execute(sql`UPDATE coupons SET uses = uses + 1 WHERE id = ${claim.couponId}`);
    await tx.execute(sql`INSERT INTO coupon_uses (order_id, coupon_id, buyer_key) VALUES (${claim.orderId}, ${claim.couponId}, ${claim.buyerKey})`);
  });
}

/** Gives back the use an order claimed (its order was not created). Releasing twice does nothing. */
export async function releaseCoupon(db: Drizzle, orderId: string): Promise<void> {
  await db.execute(
    sql`WITH released AS (
          UPDATE coupon_uses SET released_at = now() WHERE order_id = ${orderId} AND released_at IS NULL RETURNING coupon_id
        )
        UPDATE coupons SET uses = uses - 1 WHERE id IN (SELECT coupon_id FROM released)`,
  );
}
