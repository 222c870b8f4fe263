// Charging one period of a subscription from the buyer's platform balance (ledger buyer/refunds,
// where dispute refunds land too: docs/ledger.md). A period is charged at most once: the
// subscription's row lock serialises renewals, the period's row has the primary key
// (subscription_id, period_index), and the journal entry's idempotency key names the period.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { postJournal } from "../../ledger/postJournal.ts";
import type { PostingInput } from "../../ledger/types.ts";
import { deliverChargedPeriod } from "./deliverPeriod.ts";
import { renewalRefusal, type SubscriptionDelivery, type SubscriptionState } from "./subscriptionRules.ts";

export type SubscriptionRow = {
  id: bigint;
  account_id: bigint;
  shop_id: bigint;
  product_id: bigint;
  entitlement_id: bigint;
  order_id: string;
  delivery: SubscriptionDelivery;
  state: SubscriptionState;
  auto_renew: boolean;
  period_seconds: number;
  grace_seconds: number;
  price_minor: bigint;
  currency: string;
  paid_until: Date;
  periods_paid: number;
};

export const seconds = (date: Date) => Math.floor(new Date(date).getTime() / 1000);

export function clockView(row: SubscriptionRow) {
  return { state: row.state, autoRenew: row.auto_renew, paidUntil: seconds(row.paid_until), graceSeconds: row.grace_seconds };
}

/** The platform's fee and the shop's share of one period's price (the fee rounds down, the shop gets the rest). */
export function periodSplit(priceMinor: bigint, platformFeeBps: number): { feeMinor: bigint; shopMinor: bigint } {
  const feeMinor = (priceMinor * BigInt(platformFeeBps)) / 10_000n;
  return { feeMinor, shopMinor: priceMinor - feeMinor };
}

/**
 * Charges an amount of a subscription from its buyer's balance in the caller's transaction: one
 * journal entry, buyer/refunds to platform/fees and shop/payable (the fee rounds down, the shop
 * gets the rest). The balance row is locked so that two charges of one buyer cannot both spend
 * the same money; a balance smaller than the amount is 409 insufficient_funds, nothing written.
 */
export async function chargeFromBalance(
  tx: Drizzle,
  parameters: {
    subscription: SubscriptionRow;
    amountMinor: bigint;
    platformFeeBps: number;
    idempotencyKey: string;
    kind: string;
    referenceId: string;
    metadata: Record<string, string | number | boolean | null>;
    /** What the refusal says after the balance: the amount and what to do. */
    refusal: string;
  },
): Promise<{ transactionId: bigint }> {
  const { subscription, amountMinor } = parameters;
  const currency = subscription.currency;
  const balance = await queryOne<{ balance_minor: bigint }>(
    tx,
    sql`SELECT balance_minor FROM ledger_accounts WHERE owner_type = 'buyer' AND owner_id = ${subscription.account_id}
          AND purpose = 'refunds' AND currency = ${currency} FOR UPDATE`,
  );
  const available = BigInt(balance?.balance_minor ?? 0n);
  if (available < amountMinor) {
    throw new AppError("insufficient_funds", `Your balance is ${available} ${currency} (minor units); ${parameters.refusal}`, {
      details: { balanceMinor: String(available), priceMinor: String(amountMinor) },
    });
  }
  const { feeMinor, shopMinor } = periodSplit(amountMinor, parameters.platformFeeBps);
  return postJournal(tx, {
    idempotencyKey: parameters.idempotencyKey,
    kind: parameters.kind,
    reference: { type: "subscription", id: parameters.referenceId },
    metadata: parameters.metadata,
    postings: (
      [
        { account: { ownerType: "buyer", ownerId: BigInt(subscription.account_id), purpose: "refunds" }, amountMinor: -amountMinor, currency },
        { account: { ownerType: "platform", ownerId: 0n, purpose: "fees" }, amountMinor: feeMinor, currency },
        { account: { ownerType: "shop", ownerId: BigInt(subscription.shop_id), purpose: "payable" }, amountMinor: shopMinor, currency },
      ] satisfies PostingInput[]
    ).filter((posting) => posting.amountMinor !== 0n),
  });
}

export type ChargedPeriod = { periodIndex: number; startsAt: Date; endsAt: Date; amountMinor: bigint; transactionId: bigint };

/**
 * Charges the next period inside the caller's transaction. Refuses (and writes nothing) a
 * cancelled subscription, one expired beyond its grace, a balance smaller than the price,
 * (expectPeriodIndex) a renewal of a period someone else has charged meanwhile, and a
 * key-per-period renewal with no key left (out_of_stock: no key, no charge).
 */
export async function chargeRenewal(
  tx: Drizzle,
  parameters: { subscriptionId: bigint; now: Date; source: "balance_auto" | "balance_manual"; platformFeeBps: number; expectPeriodIndex?: number },
): Promise<ChargedPeriod> {
  const subscription = await queryOne<SubscriptionRow>(tx, sql`SELECT * FROM subscriptions WHERE id = ${parameters.subscriptionId} FOR UPDATE`);
  if (!subscription) throw new AppError("not_found", `No subscription ${parameters.subscriptionId}.`);
  const refusal = renewalRefusal(clockView(subscription), seconds(parameters.now));
  if (refusal === "cancelled") throw new AppError("invalid_state", `Subscription ${subscription.id} is cancelled; subscribe again to buy a new period.`);
  if (refusal === "expired") {
    throw new AppError(
      "invalid_state",
      `Subscription ${subscription.id} expired beyond its grace period on ${new Date(subscription.paid_until).toISOString()}; subscribe again.`,
    );
  }
  const periodIndex = subscription.periods_paid;
  if (parameters.expectPeriodIndex !== undefined && parameters.expectPeriodIndex !== periodIndex) {
    throw new AppError(
      "invalid_state",
      `Period ${parameters.expectPeriodIndex} of subscription ${subscription.id} is already paid; the next one is ${periodIndex}.`,
    );
  }
  const priceMinor = BigInt(subscription.price_minor);
  const currency = subscription.currency;
  const journal = await chargeFromBalance(tx, {
    subscription,
    amountMinor: priceMinor,
    platformFeeBps: parameters.platformFeeBps,
    idempotencyKey: `subscription:${subscription.id}:period:${periodIndex}`,
    kind: "subscription_renewal",
    referenceId: `${subscription.id}:${periodIndex}`,
    metadata: { periodIndex, platformFeeBps: parameters.platformFeeBps, source: parameters.source },
    refusal: `a period costs ${priceMinor}. Top up your balance and renew.`,
  });
  const startsAt = new Date(subscription.paid_until);
  const endsAt = new Date(startsAt.getTime() + subscription.period_seconds * 1000);
  await tx.execute(
    sql`INSERT INTO subscription_periods (subscription_id, period_index, starts_at, ends_at, amount_minor, currency, source, ledger_tx_id)
        VALUES (${subscription.id}, ${periodIndex}, ${startsAt}, ${endsAt}, ${priceMinor}, ${currency}, ${parameters.source}, ${journal.transactionId})`,
  );
  // What the period delivers, by kind; it refuses (out_of_stock) by throwing, which undoes the charge with the transaction.
  await deliverChargedPeriod(tx, subscription, periodIndex);
  await tx.execute(
    sql`UPDATE subscriptions SET periods_paid = periods_paid + 1, paid_until = ${endsAt}, state = 'active', last_failure = NULL WHERE id = ${subscription.id}`,
  );
  return { periodIndex, startsAt, endsAt, amountMinor: priceMinor, transactionId: journal.transactionId };
}
