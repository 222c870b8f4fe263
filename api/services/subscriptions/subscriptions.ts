// A buyer's subscriptions (docs/subscriptions.md): list, read, renew by hand (one click: the
// next period from the balance), cancel. Every time is the chain's clock (rentalNow), the clock
// the token's expiry is checked against.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { chargeRenewal } from "./chargeRenewal.ts";
import type { SubscriptionDelivery, SubscriptionState } from "./subscriptionRules.ts";

/** A key-per-period subscription's key of one period: its own entitlement and token, valid until the period's end. */
export type PeriodKeyView = { periodIndex: number; entitlementId: string; tokenId: string | null; startsAt: string; endsAt: string; expiryOnChain: boolean };

export type SubscriptionView = {
  id: string;
  productId: string;
  productName: string;
  shopId: string;
  entitlementId: string;
  /** The order that started it; a key-per-period subscription's later keys are delivered on it too. */
  orderId: string;
  tokenId: string | null;
  state: SubscriptionState;
  delivery: SubscriptionDelivery;
  /** key_per_period: each paid period's key (period 0 is the order's); credential: empty (one entitlement for all). */
  periodKeys: PeriodKeyView[];
  autoRenew: boolean;
  periodSeconds: number;
  graceSeconds: number;
  priceMinor: string;
  currency: string;
  startsAt: string;
  paidUntil: string;
  periodsPaid: number;
  /** The paid-until time the chain shows (null until the first period's expiry is included). */
  chainPaidUntil: string | null;
  lastFailure: string | null;
};

type ViewRow = {
  id: bigint;
  product_id: bigint;
  product_name: string;
  shop_id: bigint;
  entitlement_id: bigint;
  order_id: string;
  token_id: string | null;
  state: SubscriptionState;
  delivery: SubscriptionDelivery;
  period_keys: { periodIndex: number; entitlementId: string; tokenId: string | null; startsAt: string; endsAt: string; expiryOnChain: boolean }[];
  auto_renew: boolean;
  period_seconds: number;
  grace_seconds: number;
  price_minor: bigint;
  currency: string;
  starts_at: Date;
  paid_until: Date;
  periods_paid: number;
  chain_paid_until: Date | null;
  last_failure: string | null;
};

const viewColumns = sql`s.id, s.product_id, p.name AS product_name, s.shop_id, s.entitlement_id, s.order_id, e.token_id::text AS token_id, s.state, s.auto_renew,
  s.period_seconds, s.grace_seconds, s.price_minor, s.currency, s.starts_at, s.paid_until, s.periods_paid, s.last_failure,
  (SELECT max(sp.ends_at) FROM subscription_periods sp WHERE sp.subscription_id = s.id AND sp.chain_state = 'included') AS chain_paid_until,
  s.delivery, CASE WHEN s.delivery = 'key_per_period' THEN (
    SELECT coalesce(json_agg(json_build_object('periodIndex', sp.period_index, 'entitlementId', pe.id::text, 'tokenId', pe.token_id::text,
             'startsAt', sp.starts_at, 'endsAt', sp.ends_at, 'expiryOnChain', sp.chain_state = 'included') ORDER BY sp.period_index), '[]'::json)
    FROM subscription_periods sp JOIN entitlements pe ON pe.id = coalesce(sp.entitlement_id, s.entitlement_id) WHERE sp.subscription_id = s.id)
  ELSE '[]'::json END AS period_keys`;

function view(row: ViewRow): SubscriptionView {
  return {
    id: String(row.id),
    productId: String(row.product_id),
    productName: row.product_name,
    shopId: String(row.shop_id),
    entitlementId: String(row.entitlement_id),
    orderId: row.order_id,
    tokenId: row.token_id,
    state: row.state,
    delivery: row.delivery,
    periodKeys: row.period_keys.map((key) => ({ ...key, startsAt: new Date(key.startsAt).toISOString(), endsAt: new Date(key.endsAt).toISOString() })),
    autoRenew: row.auto_renew,
    periodSeconds: row.period_seconds,
    graceSeconds: row.grace_seconds,
    priceMinor: String(row.price_minor),
    currency: row.currency,
    startsAt: new Date(row.starts_at).toISOString(),
    paidUntil: new Date(row.paid_until).toISOString(),
    periodsPaid: row.periods_paid,
    chainPaidUntil: row.chain_paid_until ? new Date(row.chain_paid_until).toISOString() : null,
    lastFailure: row.last_failure,
  };
}

export async function listMySubscriptions(db: Drizzle, accountId: bigint, page: { afterId?: bigint; limit: number }) {
  const rows = await queryRows<ViewRow>(
    db,
    sql`SELECT ${viewColumns} FROM subscriptions s JOIN products p ON p.id = s.product_id JOIN entitlements e ON e.id = s.entitlement_id
        WHERE s.account_id = ${accountId} AND s.id > ${page.afterId ?? 0n} ORDER BY s.id LIMIT ${page.limit + 1}`,
  );
  const items = rows.slice(0, page.limit).map(view);
  return { items, nextCursor: rows.length > page.limit ? items[items.length - 1]!.id : null };
}

/** The account's own subscription; anyone else's is 404 (its existence is not told). */
export async function getMySubscription(db: Drizzle, accountId: bigint, subscriptionId: bigint): Promise<SubscriptionView> {
  const row = await queryOne<ViewRow>(
    db,
    sql`SELECT ${viewColumns} FROM subscriptions s JOIN products p ON p.id = s.product_id JOIN entitlements e ON e.id = s.entitlement_id
        WHERE s.id = ${subscriptionId} AND s.account_id = ${accountId}`,
  );
  if (!row) throw new AppError("not_found", `You have no subscription ${subscriptionId}.`);
  return view(row);
}

/** The one-click renewal: the next period, charged from the balance now (409 when cancelled, expired beyond grace, or the balance is short). */
export async function renewSubscription(
  db: Drizzle,
  parameters: { accountId: bigint; subscriptionId: bigint; now: Date; platformFeeBps: number; periodIndex?: number },
): Promise<SubscriptionView> {
  await getMySubscription(db, parameters.accountId, parameters.subscriptionId);
  await db.transaction((tx) =>
    chargeRenewal(tx, {
      subscriptionId: parameters.subscriptionId,
      now: parameters.now,
      source: "balance_manual",
      platformFeeBps: parameters.platformFeeBps,
      expectPeriodIndex: parameters.periodIndex,
    }),
  );
  return getMySubscription(db, parameters.accountId, parameters.subscriptionId);
}

/** Cancels: no more renewals; the paid period runs to its end (nothing is refunded). Cancelling twice is 409. */
export async function cancelSubscription(db: Drizzle, parameters: { accountId: bigint; subscriptionId: bigint }): Promise<SubscriptionView> {
  const current = await getMySubscription(db, parameters.accountId, parameters.subscriptionId);
  const updated = await queryOne<{ id: bigint }>(
    db,
    sql`UPDATE subscriptions SET state = 'cancelled', auto_renew = false, cancelled_at = now()
        WHERE id = ${parameters.subscriptionId} AND state IN ('active','past_due') RETURNING id`,
  );
  if (!updated)
    throw new AppError("invalid_state", `Subscription ${current.id} is ${current.state}; only an active or past-due subscription can be cancelled.`);
  return getMySubscription(db, parameters.accountId, parameters.subscriptionId);
}

/** Turns automatic renewal from the balance on or off (an active or past-due subscription). */
export async function setAutoRenew(db: Drizzle, parameters: { accountId: bigint; subscriptionId: bigint; autoRenew: boolean }): Promise<SubscriptionView> {
  const current = await getMySubscription(db, parameters.accountId, parameters.subscriptionId);
  const updated = await queryOne<{ id: bigint }>(
    db,
    sql`UPDATE subscriptions SET auto_renew = ${parameters.autoRenew} WHERE id = ${parameters.subscriptionId} AND state IN ('active','past_due') RETURNING id`,
  );
  if (!updated) throw new AppError("invalid_state", `Subscription ${current.id} is ${current.state}; automatic renewal cannot change.`);
  return getMySubscription(db, parameters.accountId, parameters.subscriptionId);
}
