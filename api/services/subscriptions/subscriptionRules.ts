// The pure rules of subscriptions (docs/subscriptions.md), kept free of the database so they can
// be tested and mutation-tested alone: period lengths, what the sweep does with a subscription
// at a given time, which reminder is due, and the proration of an upgrade.
export const subscriptionPeriods = ["week", "month", "quarter", "year"] as const;
export type SubscriptionPeriod = (typeof subscriptionPeriods)[number];
export const subscriptionDeliveries = ["credential", "key_per_period"] as const;
export type SubscriptionDelivery = (typeof subscriptionDeliveries)[number];
export type SubscriptionState = "active" | "past_due" | "cancelled" | "expired";

const day = 86_400;

/** Fixed lengths in seconds: the contract extends an expiry by a number of seconds, so a "month" is 30 days. */
export const periodSeconds: Record<SubscriptionPeriod, number> = { week: 7 * day, month: 30 * day, quarter: 90 * day, year: 365 * day };

/** An automatic renewal is charged this long before the paid period ends, so a paying subscriber never sees "expired". */
export const renewAheadSeconds = day;

/** Reminders before the end of the paid period: 7 days and 1 day (sent once each per period). */
export const reminderLeads = [
  { kind: "days_7", seconds: 7 * day },
  { kind: "days_1", seconds: day },
] as const;
export type ReminderKind = (typeof reminderLeads)[number]["kind"];

export type SubscriptionClockView = {
  state: SubscriptionState;
  autoRenew: boolean;
  /** Seconds since the epoch. */
  paidUntil: number;
  graceSeconds: number;
};

/**
 * What the sweep does with a subscription at `now` (seconds): charge the next period
 * (auto-renewal is due), mark it expired (the grace period is over), or nothing.
 */
export function sweepAction(subscription: SubscriptionClockView, now: number): "renew" | "expire" | "none" {
  if (subscription.state === "expired") return "none";
  if (now >= subscription.paidUntil + subscription.graceSeconds) return "expire";
  const renewing = subscription.state === "active" || subscription.state === "past_due";
  if (renewing && subscription.autoRenew && now >= subscription.paidUntil - renewAheadSeconds) return "renew";
  return "none";
}

/** Whether a renewal (manual or automatic) may be charged now; the reason it may not otherwise. */
export function renewalRefusal(subscription: SubscriptionClockView, now: number): "cancelled" | "expired" | undefined {
  if (subscription.state === "cancelled") return "cancelled";
  if (subscription.state === "expired" || now >= subscription.paidUntil + subscription.graceSeconds) return "expired";
  return undefined;
}

/** The reminders due at `now` for the period ending at paidUntil (the latest lead that has come, and any before it not yet sent). */
export function dueReminders(paidUntil: number, now: number): ReminderKind[] {
  if (now >= paidUntil) return [];
  return reminderLeads.filter((lead) => now >= paidUntil - lead.seconds).map((lead) => lead.kind);
}

/**
 * The proration of an upgrade to a dearer plan of the same period, in integer minor units: the
 * price difference for the part of the paid period that is left, rounded down (the buyer is
 * never charged a unit for time not left). `remaining` is clamped to [0, period].
 */
export function upgradeProrationMinor(parameters: { oldPriceMinor: bigint; newPriceMinor: bigint; periodSeconds: number; remainingSeconds: number }): bigint {
  const { oldPriceMinor, newPriceMinor, periodSeconds: period } = parameters;
  if (newPriceMinor <= oldPriceMinor) return 0n;
  const remaining = BigInt(Math.max(0, Math.min(period, Math.floor(parameters.remainingSeconds))));
  return ((newPriceMinor - oldPriceMinor) * remaining) / BigInt(period);
}
