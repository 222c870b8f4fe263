// A distributor's earnings after the sale (docs/distribution.md): released from holds to
// proceeds once the chargeback window has passed, and paid out through the payout path
// (a hold of kind "payout", approved or rejected with the shops' payouts).
import { AppError } from "../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { distributor, orderDistribution, releaseKey } from "./distributionLegs.ts";
import { holdIdByReference } from "./holds.ts";
import { postJournal } from "./postJournal.ts";

/**
 * Releases the distributor earnings of up to `limit` sales paid more than `windowSeconds` ago:
 * what each distributor still holds for the sale (its credit less what refunds took back)
 * moves from holds to proceeds, in one entry per sale (key order:<id>:distribution_release).
 * The order row is locked first, as a refund does, so the two never split one balance.
 */
export async function releaseDistributionEarnings(db: Drizzle, parameters: { windowSeconds: number; limit: number; now?: Date }): Promise<string[]> {
  const now = parameters.now ? sql`${parameters.now.toISOString()}::timestamptz` : sql`now()`;
  const due = await queryRows<{ order_id: string }>(
    db,
    // Only sales that still hold something: one refunded in full inside the window has nothing to release.
    sql`SELECT t.reference_id AS order_id
        FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id JOIN ledger_transactions t ON t.id = p.tx_id
        WHERE a.owner_type = 'distributor' AND a.purpose = 'holds' AND t.reference_type = 'order' AND t.kind IN ('order_payment', 'order_refund')
          AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.idempotency_key = 'order:' || t.reference_id || ':distribution_release')
        GROUP BY t.reference_id
        HAVING sum(p.amount_minor) > 0
           AND min(t.created_at) FILTER (WHERE t.kind = 'order_payment') <= ${now} - make_interval(secs => ${parameters.windowSeconds})
        ORDER BY min(t.id) LIMIT ${parameters.limit}`,
  );
  const released: string[] = [];
  for (const { order_id: orderId } of due) {
    const done = await db.transaction(async (tx) => {
      const order = await queryOne<{ currency: string }>(tx, sql`SELECT currency FROM orders WHERE id = ${orderId} FOR UPDATE`);
      if (!order) return false;
      const { released: already, parties } = await orderDistribution(tx, orderId);
      if (already) return false;
      const postings = parties
        .map((party) => ({ accountId: party.accountId, amountMinor: party.creditedMinor - party.reversedMinor }))
        .filter((party) => party.amountMinor > 0n)
        .flatMap((party) => [
          { account: distributor(party.accountId, "holds"), amountMinor: -party.amountMinor, currency: order.currency },
          { account: distributor(party.accountId, "proceeds"), amountMinor: party.amountMinor, currency: order.currency },
        ]);
      // Refunded in full since the scan: nothing is left to release.
      if (postings.length === 0) return false;
      await postJournal(tx, {
        idempotencyKey: releaseKey(orderId),
        kind: "distribution_release",
        reference: { type: "order", id: orderId },
        postings,
      });
      return true;
    });
    if (done) released.push(orderId);
  }
  return released;
}

/** The payout id of a distributor's request: its own namespace, so it never meets a shop's. */
export const distributorPayoutId = (accountId: bigint, requestId: string) => `distributor-${accountId}-${requestId}`;

/**
 * A distributor's payout request: the amount moves from its proceeds into payout_holds until an
 * admin approves (posted to platform payouts) or rejects it, or it expires (back to proceeds).
 * Only released earnings (proceeds) can be paid out; beyond them: insufficient_funds.
 */
export async function requestDistributorPayout(
  db: Drizzle,
  parameters: { accountId: bigint; requestId: string; amountMinor: bigint; currency: string; expiresAt: Date },
): Promise<{ payoutId: string; holdId: bigint; transactionId: bigint; created: boolean }> {
  const { accountId, amountMinor, currency } = parameters;
  if (amountMinor <= 0n) throw new AppError("validation_failed", "amountMinor must be a positive number of minor units.");
  const payoutId = distributorPayoutId(accountId, parameters.requestId);
  // A retried request keeps the expiry of the request it repeats (as requestPayout does), so the payloads compare equal.
  const existing = await queryOne<{ expires_at: string | Date | null }>(
    db,
    sql`SELECT expires_at FROM ledger_holds WHERE reference_type = 'payout' AND reference_id = ${payoutId}`,
  );
  const expiresAt = existing?.expires_at ? new Date(existing.expires_at) : parameters.expiresAt;
  const holding = distributor(accountId, "payout_holds");
  const result = await postJournal(db, {
    idempotencyKey: `payout:${payoutId}:request`,
    kind: "payout_request",
    reference: { type: "payout", id: payoutId },
    postings: [
      { account: distributor(accountId, "proceeds"), amountMinor: -amountMinor, currency },
      { account: holding, amountMinor, currency },
    ],
    hold: {
      holdingAccount: holding,
      postAccount: { ownerType: "platform", ownerId: 0n, purpose: "payouts" },
      voidAccount: distributor(accountId, "proceeds"),
      amountMinor,
      currency,
      expiresAt,
      expiryAction: "void",
    },
  });
  const holdId = await holdIdByReference(db, { type: "payout", id: payoutId });
  return { payoutId, holdId, ...result };
}
