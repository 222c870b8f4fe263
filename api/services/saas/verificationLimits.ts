// Limits by verification level (docs/saas.md, "KYC and limits"): an unverified shop sells at once
// but within a daily sales volume, small and rare payouts and a small stock of keys; KYC approval
// raises the shop's level. Each check runs where the thing happens (checkout, payout request,
// import) and refuses with a 422 that names the limit, before anything is written.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { lockShopPlan, shopUsage, assertPlanRoom, type VerificationLevel } from "./plans.ts";

export type LevelLimits = {
  level: VerificationLevel;
  payoutsPerDayMax: number;
  keysInStockMax: number;
  /** null: the level has no amount limits in this currency. */
  dailySalesMaxMinor: bigint | null;
  payoutMaxMinor: bigint | null;
};

export async function limitsOf(db: Drizzle, shopId: bigint, currency: string): Promise<LevelLimits> {
  const row = await queryOne<{
    level: VerificationLevel;
    payouts_per_day_max: number;
    keys_in_stock_max: number;
    daily_sales_max_minor: string | null;
    payout_max_minor: string | null;
  }>(
    db,
    sql`SELECT s.verification_level AS level, l.payouts_per_day_max, l.keys_in_stock_max, m.daily_sales_max_minor, m.payout_max_minor
        FROM shops s JOIN verification_limits l ON l.level = s.verification_level
        LEFT JOIN verification_money_limits m ON m.level = s.verification_level AND m.currency = ${currency}
        WHERE s.id = ${shopId}`,
  );
  if (!row) throw new AppError("not_found", `No shop ${shopId}.`);
  return {
    level: row.level,
    payoutsPerDayMax: Number(row.payouts_per_day_max),
    keysInStockMax: Number(row.keys_in_stock_max),
    dailySalesMaxMinor: row.daily_sales_max_minor === null ? null : BigInt(row.daily_sales_max_minor),
    payoutMaxMinor: row.payout_max_minor === null ? null : BigInt(row.payout_max_minor),
  };
}

const raise = "Submit your identity and business details for verification (POST /api/shops/{shopId}/kyc) to raise it.";

/**
 * At checkout, before the order is inserted: the shop's orders of the last 24 hours in this
 * currency (unpaid ones count, they may still be paid; expired, failed and refunded ones do not),
 * plus the amounts claimed by checkouts whose orders are not written yet, plus this one must stay
 * within the level's daily sales volume. Strict under concurrency: the sum and this checkout's
 * claim are one transaction under an advisory lock on (shop, currency), so a shop's concurrent
 * checkouts queue there (only for the claim; their inserts still go together) and each sees the
 * ones before it. Returns whether a claim was recorded; the caller gives it back with
 * `releaseDailySales` once the checkout has its answer (migration 1490_sales_volume_claims.sql).
 */
export async function claimDailySales(db: Drizzle, claim: { shopId: bigint; currency: string; amountMinor: bigint; orderId: string }): Promise<boolean> {
  const { shopId, currency, amountMinor, orderId } = claim;
  const limits = await limitsOf(db, shopId, currency);
  if (limits.dailySalesMaxMinor === null) return false;
  const max = limits.dailySalesMaxMinor;
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`sales:${shopId}:${currency}`}, 0))`);
    // A claim left by a process that died between its claim and its answer: swept, it no longer counts.
    await tx.execute(
      sql`DELETE FROM sales_volume_claims WHERE shop_id = ${shopId} AND currency = ${currency} AND created_at < now() - ${claimLifetime}::interval`,
    );
    const row = await queryOne<{ orders: string; claimed: string }>(
      tx,
      sql`SELECT (SELECT coalesce(sum(amount_minor), 0) FROM orders
                  WHERE shop_id = ${shopId} AND currency = ${currency} AND created_at > now() - interval '1 day'
                    AND state IN ('awaiting_payment', 'paid', 'fulfilled')) AS orders,
                 (SELECT coalesce(sum(c.amount_minor), 0) FROM sales_volume_claims c
                  WHERE c.shop_id = ${shopId} AND c.currency = ${currency}
                    AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = c.order_id)) AS claimed`,
    );
    const today = BigInt(row!.orders) + BigInt(row!.claimed);
    if (today + amountMinor > max) throw salesLimitExceeded(limits, currency, today, amountMinor);
    await tx.execute(
      sql`INSERT INTO sales_volume_claims (order_id, shop_id, currency, amount_minor) VALUES (${orderId}, ${shopId}, ${currency}, ${amountMinor})`,
    );
  });
  return true;
}

/** Far longer than any checkout between its claim and its answer. */
const claimLifetime = "15 minutes";

/** The checkout has its answer: its order now counts by its state, or there is no order. Releasing twice does nothing. */
export async function releaseDailySales(db: Drizzle, orderId: string): Promise<void> {
  await db.execute(sql`DELETE FROM sales_volume_claims WHERE order_id = ${orderId}`);
}

function salesLimitExceeded(limits: LevelLimits, currency: string, today: bigint, amountMinor: bigint): AppError {
  return new AppError(
    "sales_limit_exceeded",
    `This shop (${limits.level}) may sell at most ${limits.dailySalesMaxMinor} ${currency} (minor units) a day; it sold ${today} in the last 24 hours and this order is ${amountMinor}. Try a smaller order or later.`,
    {
      details: {
        level: limits.level,
        currency,
        dailySalesMaxMinor: String(limits.dailySalesMaxMinor),
        todayMinor: String(today),
        amountMinor: String(amountMinor),
      },
    },
  );
}

/** In the payout's transaction, under the shop row's lock: the amount per payout and payouts a day of the level. */
export async function assertPayoutAllowed(tx: Drizzle, shopId: bigint, currency: string, amountMinor: bigint): Promise<void> {
  await lockShopPlan(tx, shopId);
  const limits = await limitsOf(tx, shopId, currency);
  if (limits.payoutMaxMinor !== null && amountMinor > limits.payoutMaxMinor) {
    throw new AppError(
      "payout_limit_exceeded",
      `This shop (${limits.level}) may ask for at most ${limits.payoutMaxMinor} ${currency} (minor units) per payout. Ask for less; ${raise}`,
      { details: { limit: "amount", level: limits.level, payoutMaxMinor: String(limits.payoutMaxMinor) } },
    );
  }
  const row = await queryOne<{ count: string }>(
    tx,
    sql`SELECT count(*) AS count FROM ledger_transactions
        WHERE idempotency_key LIKE ${`payout:shop${shopId}-%:request`} AND created_at > now() - interval '1 day'`,
  );
  const payoutsToday = Number(row!.count);
  if (payoutsToday + 1 > limits.payoutsPerDayMax) {
    throw new AppError(
      "payout_limit_exceeded",
      `This shop (${limits.level}) may ask for at most ${limits.payoutsPerDayMax} payout(s) a day; it asked for ${payoutsToday} in the last 24 hours. Try tomorrow; ${raise}`,
      { details: { limit: "frequency", level: limits.level, payoutsPerDayMax: limits.payoutsPerDayMax, payoutsToday } },
    );
  }
}

/** In the import's transaction: `adding` keys must fit both the plan's keys and the level's keys in stock. */
export async function assertStockRoom(tx: Drizzle, shopId: bigint, adding: number): Promise<void> {
  const plan = await lockShopPlan(tx, shopId);
  const usage = await shopUsage(tx, shopId);
  assertPlanRoom(plan, usage, "keys", adding);
  const row = await queryOne<{ keys_in_stock_max: number }>(tx, sql`SELECT keys_in_stock_max FROM verification_limits WHERE level = ${plan.verificationLevel}`);
  const max = Number(row!.keys_in_stock_max);
  if (usage.keysInStock + adding <= max) return;
  throw new AppError(
    "stock_limit_exceeded",
    `This shop (${plan.verificationLevel}) may hold at most ${max} keys in stock (it has ${usage.keysInStock}, this import adds ${adding}). Import fewer; ${raise}`,
    { details: { level: plan.verificationLevel, keysInStockMax: max, keysInStock: usage.keysInStock, adding } },
  );
}
