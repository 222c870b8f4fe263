// The subscriptions job (docs/subscriptions.md), run by the chain worker's sweep with the
// chain's clock (the clock the token's expiry is checked against, as for rentals): starts the
// subscriptions of newly issued entitlements of plan products, charges automatic renewals from
// the balance, marks failed renewals past due and subscriptions beyond their grace expired, and
// sends the renewal reminders once each.
import { AppError } from "../../../core/errors.ts";
import type { Logger } from "../../../core/logger.ts";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import type { Mailer } from "../mail/mailer.ts";
import { chargeRenewal, clockView, seconds, type SubscriptionRow } from "./chargeRenewal.ts";
import { sendReminderMail } from "./subscriptionMail.ts";
import { queueWalletPull } from "./walletPulls.ts";
import { dueReminders, renewAheadSeconds, reminderLeads, sweepAction } from "./subscriptionRules.ts";

export type SubscriptionSweepSettings = { platformFeeBps: number; mailer?: Mailer; publicUrl: string; limit?: number; logger?: Logger };
export type SubscriptionSweepResult = { started: number; renewed: number; failed: number; expired: number; reminded: number };

/**
 * One subscription per entitlement of a plan product issued to an account after the plan was set.
 * Its first period is the order (already in the ledger as the sale) and starts now.
 */
export async function startSubscriptions(db: Drizzle, now: Date, limit = 500): Promise<number> {
  const rows = await queryRows<{ id: bigint }>(
    db,
    sql`WITH started AS (
          INSERT INTO subscriptions (account_id, shop_id, product_id, entitlement_id, order_id, period_seconds, grace_seconds, price_minor, currency, starts_at, paid_until, delivery)
          SELECT e.owner_account_id, e.shop_id, e.product_id, e.id, e.order_id, sp.period_seconds, sp.grace_days * 86400, p.price_minor, p.currency,
                 ${now}::timestamptz, ${now}::timestamptz + make_interval(secs => sp.period_seconds), sp.delivery
          FROM entitlements e JOIN subscription_plans sp ON sp.product_id = e.product_id JOIN products p ON p.id = e.product_id
          WHERE e.owner_account_id IS NOT NULL AND e.state <> 'revoked' AND e.created_at >= sp.created_at
            AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.entitlement_id = e.id)
            -- A key-per-period renewal's entitlement belongs to its subscription's period, not to a new subscription.
            AND NOT EXISTS (SELECT 1 FROM subscription_periods own WHERE own.entitlement_id = e.id)
          ORDER BY e.id LIMIT ${limit}
          ON CONFLICT (entitlement_id) DO NOTHING
          RETURNING id, starts_at, paid_until, price_minor, currency)
        INSERT INTO subscription_periods (subscription_id, period_index, starts_at, ends_at, amount_minor, currency, source)
        SELECT id, 0, starts_at, paid_until, price_minor, currency, 'order' FROM started RETURNING subscription_id AS id`,
  );
  return rows.length;
}

export async function sweepSubscriptions(db: Drizzle, now: Date, settings: SubscriptionSweepSettings): Promise<SubscriptionSweepResult> {
  const result: SubscriptionSweepResult = { started: await startSubscriptions(db, now), renewed: 0, failed: 0, expired: 0, reminded: 0 };
  const horizon = new Date(now.getTime() + Math.max(renewAheadSeconds, reminderLeads[0].seconds) * 1000);
  const due = await queryRows<SubscriptionRow>(
    db,
    sql`SELECT * FROM subscriptions WHERE state IN ('active','past_due','cancelled') AND paid_until <= ${horizon}
        ORDER BY paid_until, id LIMIT ${settings.limit ?? 500}`,
  );
  for (const subscription of due) {
    const action = sweepAction(clockView(subscription), seconds(now));
    if (action === "expire") {
      await db.execute(sql`UPDATE subscriptions SET state = 'expired' WHERE id = ${subscription.id} AND state IN ('active','past_due','cancelled')`);
      result.expired++;
      continue;
    }
    // Payment source: a subscription with a recorded wallet mandate renews by an on-chain pull
    // (walletPulls.ts), queued here and charged when its PeriodPulled is final; others from the balance.
    if (action === "renew" && (await queueWalletPull(db, subscription, now))) {
      result.reminded += await sendReminders(db, subscription, now, settings);
      continue;
    }
    if (action === "renew") {
      try {
        await db.transaction((tx) =>
          chargeRenewal(tx, {
            subscriptionId: subscription.id,
            now,
            source: "balance_auto",
            platformFeeBps: settings.platformFeeBps,
            expectPeriodIndex: subscription.periods_paid,
          }),
        );
        result.renewed++;
        continue;
      } catch (error) {
        if (!(error instanceof AppError) || !["insufficient_funds", "invalid_state", "out_of_stock"].includes(error.code)) throw error;
        // Nothing was charged; the paid period still runs out, then the grace period.
        await db.execute(
          sql`UPDATE subscriptions SET state = 'past_due', last_failure = ${error.code}
              WHERE id = ${subscription.id} AND state = 'active' AND periods_paid = ${subscription.periods_paid}`,
        );
        result.failed++;
      }
    }
    if (subscription.state !== "cancelled") result.reminded += await sendReminders(db, subscription, now, settings);
  }
  return result;
}

/** Each reminder is recorded before it is sent (its primary key makes it once per period): at most one mail per reminder. */
async function sendReminders(db: Drizzle, subscription: SubscriptionRow, now: Date, settings: SubscriptionSweepSettings): Promise<number> {
  if (!settings.mailer) return 0;
  let sent = 0;
  for (const kind of dueReminders(seconds(subscription.paid_until), seconds(now))) {
    const claimed = await queryRows<{ email: string; locale: "zh-CN" | "en"; name: string; last_failure: string | null }>(
      db,
      // last_failure read now: a renewal that failed earlier in this sweep is told in the mail.
      sql`WITH claim AS (
            INSERT INTO subscription_reminders (subscription_id, period_index, kind, locale)
            SELECT ${subscription.id}, ${subscription.periods_paid - 1}, ${kind}, a.locale FROM accounts a WHERE a.id = ${subscription.account_id}
            ON CONFLICT DO NOTHING RETURNING locale)
          SELECT a.email, claim.locale, p.name, s.last_failure FROM claim, accounts a, products p, subscriptions s
          WHERE a.id = ${subscription.account_id} AND p.id = ${subscription.product_id} AND s.id = ${subscription.id}`,
    );
    const recipient = claimed[0];
    if (!recipient) continue;
    try {
      await sendReminderMail(settings.mailer, {
        to: recipient.email,
        locale: recipient.locale,
        kind,
        productName: recipient.name,
        paidUntil: new Date(subscription.paid_until),
        autoRenew: subscription.auto_renew,
        priceMinor: BigInt(subscription.price_minor),
        currency: subscription.currency,
        subscriptionsUrl: `${settings.publicUrl}/account/subscriptions`,
        lastFailure: recipient.last_failure,
      });
      sent++;
    } catch (error) {
      settings.logger?.warn({ err: error, subscriptionId: String(subscription.id), kind }, "subscription reminder mail failed");
    }
  }
  return sent;
}
