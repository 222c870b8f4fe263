// Upgrading a running subscription to a dearer plan of the same shop and period
// (docs/subscriptions.md, "Upgrades"): the buyer pays, from the balance, the price difference for
// the part of the current paid period that is left, in integer minor units rounded down
// (upgradeProrationMinor); from the next period on, renewals cost the new price. The entitlement
// (its token and its on-chain expiry) stays: the paid period does not move.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { chargeFromBalance, clockView, seconds, type SubscriptionRow } from "./chargeRenewal.ts";
import { renewalRefusal, upgradeProrationMinor, type SubscriptionDelivery } from "./subscriptionRules.ts";
import { getMySubscription, type SubscriptionView } from "./subscriptions.ts";

export type UpgradeView = {
  subscription: SubscriptionView;
  upgrade: { periodIndex: number; fromProductId: string; toProductId: string; remainingSeconds: number; amountMinor: string; currency: string };
};

type TargetPlan = {
  product_id: bigint;
  shop_id: bigint;
  period_seconds: number;
  delivery: SubscriptionDelivery;
  price_minor: bigint;
  currency: string;
  status: string;
};

export async function upgradeSubscription(
  db: Drizzle,
  parameters: { accountId: bigint; subscriptionId: bigint; productId: bigint; now: Date; platformFeeBps: number },
): Promise<UpgradeView> {
  await getMySubscription(db, parameters.accountId, parameters.subscriptionId);
  const upgrade = await db.transaction(async (tx) => {
    // The row lock serialises upgrades and renewals of one subscription: a double click sees the new plan.
    const subscription = (await queryOne<SubscriptionRow>(tx, sql`SELECT * FROM subscriptions WHERE id = ${parameters.subscriptionId} FOR UPDATE`))!;
    const refusal = renewalRefusal(clockView(subscription), seconds(parameters.now));
    if (refusal || subscription.state !== "active") {
      throw new AppError(
        "invalid_state",
        `Subscription ${subscription.id} is ${refusal === "expired" ? "expired" : subscription.state}; only an active subscription can be upgraded (renew a past-due one first).`,
      );
    }
    if (BigInt(subscription.product_id) === parameters.productId) {
      throw new AppError("invalid_state", `Subscription ${subscription.id} is already on product ${parameters.productId}.`);
    }
    const target = await queryOne<TargetPlan>(
      tx,
      sql`SELECT p.id AS product_id, p.shop_id, sp.period_seconds, sp.delivery, p.price_minor, p.currency, p.status
          FROM products p JOIN subscription_plans sp ON sp.product_id = p.id WHERE p.id = ${parameters.productId}`,
    );
    if (target?.status !== "active") throw new AppError("not_found", `Product ${parameters.productId} is not sold by subscription.`);
    const oldPriceMinor = BigInt(subscription.price_minor);
    const newPriceMinor = BigInt(target.price_minor);
    if (
      BigInt(target.shop_id) !== BigInt(subscription.shop_id) ||
      target.period_seconds !== subscription.period_seconds ||
      target.currency !== subscription.currency ||
      // A key-per-period subscription takes its next keys from the plan it is on: the delivery cannot change mid-subscription.
      target.delivery !== subscription.delivery
    ) {
      throw new AppError(
        "validation_failed",
        "An upgrade moves to another plan of the same shop, period, delivery and currency; subscribe to that product separately instead.",
      );
    }
    if (newPriceMinor <= oldPriceMinor) {
      throw new AppError(
        "validation_failed",
        `Product ${parameters.productId} costs ${newPriceMinor} a period, not more than the ${oldPriceMinor} you pay: only a dearer plan is an upgrade (a cheaper one applies by subscribing to it when this one ends).`,
      );
    }
    const periodIndex = subscription.periods_paid - 1;
    const remainingSeconds = Math.max(0, Math.min(subscription.period_seconds, seconds(subscription.paid_until) - seconds(parameters.now)));
    const amountMinor = upgradeProrationMinor({ oldPriceMinor, newPriceMinor, periodSeconds: subscription.period_seconds, remainingSeconds });
    const journal =
      amountMinor === 0n
        ? undefined
        : await chargeFromBalance(tx, {
            subscription,
            amountMinor,
            platformFeeBps: parameters.platformFeeBps,
            idempotencyKey: `subscription:${subscription.id}:upgrade:${periodIndex}:${parameters.productId}`,
            kind: "subscription_upgrade",
            referenceId: `${subscription.id}:${periodIndex}:upgrade:${parameters.productId}`,
            metadata: {
              periodIndex,
              fromProductId: String(subscription.product_id),
              toProductId: String(parameters.productId),
              remainingSeconds,
              platformFeeBps: parameters.platformFeeBps,
            },
            refusal: `the upgrade costs ${amountMinor} for the ${remainingSeconds} seconds left of this period. Top up your balance and upgrade.`,
          });
    await tx.execute(
      sql`INSERT INTO subscription_upgrades (subscription_id, period_index, from_product_id, to_product_id, old_price_minor, new_price_minor,
            remaining_seconds, period_seconds, amount_minor, currency, ledger_tx_id)
          VALUES (${subscription.id}, ${periodIndex}, ${subscription.product_id}, ${parameters.productId}, ${oldPriceMinor}, ${newPriceMinor},
            ${remainingSeconds}, ${subscription.period_seconds}, ${amountMinor}, ${subscription.currency}, ${journal?.transactionId ?? null})`,
    );
    await tx.execute(sql`UPDATE subscriptions SET product_id = ${parameters.productId}, price_minor = ${newPriceMinor} WHERE id = ${subscription.id}`);
    return {
      periodIndex,
      fromProductId: String(subscription.product_id),
      toProductId: String(parameters.productId),
      remainingSeconds,
      amountMinor: String(amountMinor),
      currency: subscription.currency,
    };
  });
  return { subscription: await getMySubscription(db, parameters.accountId, parameters.subscriptionId), upgrade };
}
