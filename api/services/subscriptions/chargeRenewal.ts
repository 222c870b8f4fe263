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
  starts_at: Date;
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
  return postJournal(tx, {
    idempotencyKey: parameters.idempotencyKey,
    kind: parameters.kind,
    reference: { type: "subscription", id: parameters.referenceId },
    metadata: parameters.metadata,
    postings: periodPostings(
      { ownerType: "buyer", ownerId: BigInt(subscription.account_id), purpose: "refunds" },
      subscription,
      amountMinor,
      parameters.platformFeeBps,
    ),
  });
}

/**
 * The legs of a subscription payment: the payer's side (the buyer's balance, or the chain's
 * clearing account for a wallet pull) −amount, the platform's fee, the shop the rest.
 */
export function periodPostings(
  payer: PostingInput["account"],
  subscription: Pick<SubscriptionRow, "shop_id" | "currency">,
  amountMinor: bigint,
  platformFeeBps: number,
): PostingInput[] {
  const currency = subscription.currency;
  const { feeMinor, shopMinor } = periodSplit(amountMinor, platformFeeBps);
  return (
    [
      { account: payer, amountMinor: -amountMinor, currency },
      { account: { ownerType: "platform", ownerId: 0n, purpose: "fees" }, amountMinor: feeMinor, currency },
      { account: { ownerType: "shop", ownerId: BigInt(subscription.shop_id), purpose: "payable" }, amountMinor: shopMinor, currency },
    ] satisfies PostingInput[]
  ).filter((posting) => posting.amountMinor !== 0n);
}

/** The idempotency key of a period's payment, whatever pays it: one period is charged once. */
export const periodPaymentKey = (subscriptionId: bigint, periodIndex: number) => `subscription:${subscriptionId}:period:${periodIndex}`;

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
  // A wallet pull of this period sent (or about to be): its PeriodPulled pays it, not the balance.
  const pulling = await queryOne<{ state: string }>(
    tx,
    sql`SELECT state FROM subscription_pulls WHERE subscription_id = ${subscription.id} AND period_index = ${periodIndex}
          AND state IN ('pending','submitted','included')`,
  );
  if (pulling) {
    throw new AppError("invalid_state", `Period ${periodIndex} of subscription ${subscription.id} is being paid from your wallet (pull ${pulling.state}).`);
  }
  const priceMinor = BigInt(subscription.price_minor);
  const journal = await chargeFromBalance(tx, {
    subscription,
    amountMinor: priceMinor,
    platformFeeBps: parameters.platformFeeBps,
    idempotencyKey: periodPaymentKey(subscription.id, periodIndex),
    kind: "subscription_renewal",
    referenceId: `${subscription.id}:${periodIndex}`,
    metadata: { periodIndex, platformFeeBps: parameters.platformFeeBps, source: parameters.source },
    refusal: `a period costs ${priceMinor}. Top up your balance and renew.`,
  });
  return recordPaidPeriod(tx, subscription, { periodIndex, source: parameters.source, amountMinor: priceMinor, transactionId: journal.transactionId });
}

/**
 * Records period `periodIndex` as paid and moves the subscription's end on by one period, in the
 * caller's transaction with the subscription's row locked (its primary key refuses a second
 * record of the period). A cancelled subscription stays cancelled (a pull already taken pays
 * the period it was for); any other becomes active.
 */
export async function recordPaidPeriod(
  tx: Drizzle,
  subscription: SubscriptionRow,
  paid: { periodIndex: number; source: "balance_auto" | "balance_manual" | "wallet_pull"; amountMinor: bigint; transactionId: bigint },
): Promise<ChargedPeriod> {
  const startsAt = new Date(subscription.paid_until);
  const endsAt = new Date(startsAt.getTime() + subscription.period_seconds * 1000);
  await tx.execute(
    sql`INSERT INTO subscription_periods (subscription_id, period_index, starts_at, ends_at, amount_minor, currency, source, ledger_tx_id)
        VALUES (${subscription.id}, ${paid.periodIndex}, ${startsAt}, ${endsAt}, ${paid.amountMinor}, ${subscription.currency}, ${paid.source}, ${paid.transactionId})`,
  );
  // What the period delivers, by kind; it refuses (out_of_stock) by throwing, which undoes the charge with the transaction.
  await deliverChargedPeriod(tx, subscription, paid.periodIndex);
  await tx.execute(
    sql`UPDATE subscriptions SET periods_paid = periods_paid + 1, paid_until = ${endsAt}, last_failure = NULL,
          state = CASE WHEN state = 'cancelled' THEN state ELSE 'active' END WHERE id = ${subscription.id}`,
  );
  return { periodIndex: paid.periodIndex, startsAt, endsAt, amountMinor: paid.amountMinor, transactionId: paid.transactionId };
}
