// Renewals by wallet pull (docs/subscriptions.md, "Renewal by wallet pull"): the payment source
// of a subscription with a recorded mandate. The sweep queues one pull per (subscription,
// period) (queueWalletPull); the chain worker sends it (api/chain/subscriptionPulls.ts); the
// indexer records PeriodPulled and MandateCancelled (chain_mandate_events); once their blocks
// are final the maintenance job applies them here (processMandateEvents): the period is charged
// in the ledger once, keyed by the period, and its expiry goes on-chain like a balance renewal's.
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { postJournal } from "../../ledger/postJournal.ts";
import { periodPaymentKey, periodPostings, recordPaidPeriod, type SubscriptionRow } from "./chargeRenewal.ts";

/** A failed pull (allowance, balance) is tried again after this much chain time, while the grace runs. */
export const pullRetrySeconds = 3600;

/**
 * The sweep's wallet branch. False when the subscription renews from the balance (no mandate was
 * ever recorded). Otherwise it queues the pull of the next period (a replayed sweep finds the
 * row and queues nothing), re-queues a failed one after pullRetrySeconds, and marks the
 * subscription past due when its mandate was cancelled: no pull, and the grace runs out as
 * with an empty balance.
 */
export async function queueWalletPull(db: Drizzle, subscription: SubscriptionRow, now: Date): Promise<boolean> {
  const mandate = await queryOne<{ mandate_id: string; state: "active" | "cancelled" }>(
    db,
    sql`SELECT mandate_id, state FROM subscription_mandates WHERE subscription_id = ${subscription.id}
        ORDER BY (state = 'active') DESC, created_at DESC LIMIT 1`,
  );
  if (!mandate) return false;
  if (mandate.state === "cancelled") {
    await markPastDue(db, subscription.id, subscription.periods_paid, "mandate_cancelled");
    return true;
  }
  await db.transaction(async (tx) => {
    // Under the subscription's lock (as renewals): the period is the one still unpaid now.
    const current = await queryOne<SubscriptionRow>(tx, sql`SELECT * FROM subscriptions WHERE id = ${subscription.id} FOR UPDATE`);
    if (!current || current.periods_paid !== subscription.periods_paid || !["active", "past_due"].includes(current.state)) return;
    await tx.execute(
      sql`INSERT INTO subscription_pulls (subscription_id, period_index, mandate_id, amount_minor, attempted_at)
          VALUES (${current.id}, ${current.periods_paid}, ${mandate.mandate_id}, ${current.price_minor}, ${now})
          ON CONFLICT (subscription_id, period_index) DO UPDATE SET state = 'pending', failure = NULL, tx_hash = NULL,
            mandate_id = EXCLUDED.mandate_id, amount_minor = EXCLUDED.amount_minor, attempted_at = EXCLUDED.attempted_at
          WHERE subscription_pulls.state = 'failed' AND subscription_pulls.attempted_at <= ${now}::timestamptz - make_interval(secs => ${pullRetrySeconds})`,
    );
  });
  return true;
}

/** A renewal that could not be paid: the paid period runs out, then the grace (as an empty balance). */
export async function markPastDue(db: Drizzle, subscriptionId: bigint, periodsPaid: number, failure: string): Promise<void> {
  await db.execute(
    sql`UPDATE subscriptions SET state = 'past_due', last_failure = ${failure}
        WHERE id = ${subscriptionId} AND state IN ('active','past_due') AND periods_paid = ${periodsPaid}`,
  );
}

type FinalMandateEvent = {
  block_number: string;
  log_index: number;
  kind: "pulled" | "cancelled";
  mandate_id: string;
  period_index: string | null;
  token: string | null;
  amount: string | null;
};

export type MandateEventsParameters = { chainId: number; stablecoinAddress: string | undefined; platformFeeBps: number; batchSizeMax: number };

/**
 * Final mandate events not yet applied: a cancellation marks the recorded mandate cancelled
 * (idempotent); a pull charges its period once. Each pull is handled in one transaction that
 * also writes its outcome mark, so a crash repeats all of it or none; a second delivery of the
 * event finds the mark (and, were it missing, the period's row and the journal's key).
 */
export async function processMandateEvents(db: Drizzle, parameters: MandateEventsParameters): Promise<{ pulls: Record<string, number>; cancelled: number }> {
  const events = await queryRows<FinalMandateEvent>(
    db,
    sql`SELECT m.block_number::text, m.log_index, m.kind, m.mandate_id, m.period_index::text, m.token, m.amount::text
        FROM chain_mandate_events m JOIN indexer_checkpoints c ON c.chain_id = m.chain_id AND m.block_number <= c.finalized_number
        WHERE m.chain_id = ${parameters.chainId} AND m.kind IN ('pulled','cancelled')
          AND NOT EXISTS (SELECT 1 FROM chain_mandate_outcomes o WHERE o.chain_id = m.chain_id AND o.block_number = m.block_number AND o.log_index = m.log_index)
        ORDER BY m.block_number, m.log_index LIMIT ${parameters.batchSizeMax}`,
  );
  const pulls: Record<string, number> = {};
  let cancelled = 0;
  for (const event of events) {
    if (event.kind === "cancelled") {
      cancelled += await db.transaction((tx) => applyCancellation(tx, parameters, event));
      continue;
    }
    const outcome = await db.transaction((tx) => chargePulledPeriod(tx, parameters, event));
    pulls[outcome] = (pulls[outcome] ?? 0) + 1;
  }
  return { pulls, cancelled };
}

/** The event's outcome mark; "replayed" when another run marked it first. */
async function markOutcome(
  tx: Drizzle,
  parameters: MandateEventsParameters,
  event: FinalMandateEvent,
  outcome: string,
  subscriptionId: bigint | null,
  ledgerTxId: bigint | null = null,
): Promise<string> {
  const rows = await queryRows(
    tx,
    sql`INSERT INTO chain_mandate_outcomes (chain_id, block_number, log_index, subscription_id, period_index, outcome, ledger_tx_id)
        VALUES (${parameters.chainId}, ${event.block_number}::bigint, ${event.log_index}, ${subscriptionId}, ${event.period_index}::bigint, ${outcome}, ${ledgerTxId})
        ON CONFLICT DO NOTHING RETURNING 1`,
  );
  return rows.length > 0 ? outcome : "replayed";
}

/** The buyer cancelled on-chain: the recorded mandate is cancelled (the sweep stops pulling). */
async function applyCancellation(tx: Drizzle, parameters: MandateEventsParameters, event: FinalMandateEvent): Promise<number> {
  const rows = await queryRows<{ subscription_id: bigint }>(
    tx,
    sql`UPDATE subscription_mandates SET state = 'cancelled', cancelled_at = now() WHERE mandate_id = ${event.mandate_id} AND state = 'active'
        RETURNING subscription_id`,
  );
  const known = await queryOne<{ subscription_id: bigint }>(tx, sql`SELECT subscription_id FROM subscription_mandates WHERE mandate_id = ${event.mandate_id}`);
  await markOutcome(tx, parameters, event, known ? "cancelled" : "unknown_mandate", known?.subscription_id ?? null);
  return rows.length;
}

async function chargePulledPeriod(tx: Drizzle, parameters: MandateEventsParameters, event: FinalMandateEvent): Promise<string> {
  const mark = (outcome: string, subscriptionId: bigint | null, ledgerTxId: bigint | null) =>
    markOutcome(tx, parameters, event, outcome, subscriptionId, ledgerTxId);
  const mandate = await queryOne<{ subscription_id: bigint }>(
    tx,
    sql`SELECT subscription_id FROM subscription_mandates WHERE mandate_id = ${event.mandate_id}`,
  );
  if (!mandate) return mark("unknown_mandate", null, null);
  if (!parameters.stablecoinAddress || event.token !== parameters.stablecoinAddress.toLowerCase()) return mark("wrong_asset", mandate.subscription_id, null);
  const subscription = (await queryOne<SubscriptionRow>(tx, sql`SELECT * FROM subscriptions WHERE id = ${mandate.subscription_id} FOR UPDATE`))!;
  const periodIndex = Number(event.period_index);
  // The pull was sent for the next unpaid period; anything else was paid already (the money
  // waits in the treasury for a refund by hand, reported by its outcome).
  if (periodIndex !== subscription.periods_paid) return mark("period_already_paid", subscription.id, null);
  const amountMinor = BigInt(event.amount!);
  const journal = await postJournal(tx, {
    idempotencyKey: periodPaymentKey(subscription.id, periodIndex),
    kind: "subscription_renewal",
    reference: { type: "subscription", id: `${subscription.id}:${periodIndex}` },
    metadata: { periodIndex, platformFeeBps: parameters.platformFeeBps, source: "wallet_pull", blockNumber: event.block_number, logIndex: event.log_index },
    postings: periodPostings({ ownerType: "platform", ownerId: 0n, purpose: "clearing_chain" }, subscription, amountMinor, parameters.platformFeeBps),
  });
  await recordPaidPeriod(tx, subscription, { periodIndex, source: "wallet_pull", amountMinor, transactionId: journal.transactionId });
  await tx.execute(sql`UPDATE subscription_pulls SET state = 'included' WHERE subscription_id = ${subscription.id} AND period_index = ${periodIndex}`);
  return mark("charged", subscription.id, journal.transactionId);
}
