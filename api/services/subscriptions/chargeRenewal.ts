// Charging one period of a subscription from the buyer's platform balance (ledger buyer/refunds,
// where dispute refunds land too: docs/ledger.md). A period is charged at most once: the
// subscription's row lock serialises renewals, the period's row has the primary key
// (subscription_id, period_index), and the journal entry's idempotency key names the period.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { postJournal } from "../../ledger/postJournal.ts";
import type { PostingInput } from "../../ledger/types.ts";
import { renewalRefusal, type SubscriptionState } from "./subscriptionRules.ts";

export type SubscriptionRow = {
  id: bigint;
  account_id: bigint;
  shop_id: bigint;
  product_id: bigint;
  entitlement_id: bigint;
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

export type ChargedPeriod = { periodIndex: number; startsAt: Date; endsAt: Date; amountMinor: bigint; transactionId: bigint };

/**
 * Charges the next period inside the caller's transaction. Refuses (and writes nothing) a
 * cancelled subscription, one expired beyond its grace, a balance smaller than the price, and
 * (expectPeriodIndex) a renewal of a period someone else has charged meanwhile.
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
  // The balance row is locked so that two renewals of one buyer cannot both spend the same money.
  const balance = await queryOne<{ balance_minor: bigint }>(
    tx,
    sql`SELECT balance_minor FROM ledger_accounts WHERE owner_type = 'buyer' AND owner_id = ${subscription.account_id}
          AND purpose = 'refunds' AND currency = ${currency} FOR UPDATE`,
  );
  const available = BigInt(balance?.balance_minor ?? 0n);
  if (available < priceMinor) {
    throw new AppError(
      "insufficient_funds",
      `Your balance is ${available} ${currency} (minor units); a period costs ${priceMinor}. Top up your balance and renew.`,
      {
        details: { balanceMinor: String(available), priceMinor: String(priceMinor) },
      },
    );
  }
  const { feeMinor, shopMinor } = periodSplit(priceMinor, parameters.platformFeeBps);
  const journal = await postJournal(tx, {
    idempotencyKey: `subscription:${subscription.id}:period:${periodIndex}`,
    kind: "subscription_renewal",
    reference: { type: "subscription", id: `${subscription.id}:${periodIndex}` },
    metadata: { periodIndex, platformFeeBps: parameters.platformFeeBps, source: parameters.source },
    postings: (
      [
        { account: { ownerType: "buyer", ownerId: BigInt(subscription.account_id), purpose: "refunds" }, amountMinor: -priceMinor, currency },
        { account: { ownerType: "platform", ownerId: 0n, purpose: "fees" }, amountMinor: feeMinor, currency },
        { account: { ownerType: "shop", ownerId: BigInt(subscription.shop_id), purpose: "payable" }, amountMinor: shopMinor, currency },
      ] satisfies PostingInput[]
    ).filter((posting) => posting.amountMinor !== 0n),
  });
  const startsAt = new Date(subscription.paid_until);
  const endsAt = new Date(startsAt.getTime() + subscription.period_seconds * 1000);
  await tx.execute(
    sql`INSERT INTO subscription_periods (subscription_id, period_index, starts_at, ends_at, amount_minor, currency, source, ledger_tx_id)
        VALUES (${subscription.id}, ${periodIndex}, ${startsAt}, ${endsAt}, ${priceMinor}, ${currency}, ${parameters.source}, ${journal.transactionId})`,
  );
  await tx.execute(
    sql`UPDATE subscriptions SET periods_paid = periods_paid + 1, paid_until = ${endsAt}, state = 'active', last_failure = NULL WHERE id = ${subscription.id}`,
  );
  return { periodIndex, startsAt, endsAt, amountMinor: priceMinor, transactionId: journal.transactionId };
}
