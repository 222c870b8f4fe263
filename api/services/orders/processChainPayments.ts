// On-chain payments, after finality: every final OrderPaid not yet processed is accepted by the
// order service exactly like EPay notifications (provider "chain", providerRef
// "chainId:txHash:logIndex", unique, so a repeat changes nothing), then its outcome is recorded
// in chain_payment_outcomes (the outbox mark). A page of payments goes as EPay's notifications
// in flight go (acceptFinalChainPayments): the first payments of the exact amount for orders
// awaiting them in one statement (acceptExactPayments), their ledger entries in one batch after
// it commits (the payments rows are the entries' outbox, paymentEntryOutbox.ts), everything
// else through acceptCarefully, which locks its order and decides. A crash between acceptance
// and the outcome mark repeats the acceptance, which answers "replayed". Accepted orders are
// handed to onAccepted (the entry point enqueues fulfilment). Underpaid, overpaid, late and
// duplicate payments are recorded by acceptCarefully with that status (refund path); a payment
// for no known order or in an asset the platform does not take is recorded here. Nothing is
// dropped.
import { AppError } from "../../../core/errors.ts";
import { acceptCarefully, acceptExactPayments, paymentEntryOf, type PaymentOutcome } from "./acceptPayment.ts";
import { expireOrders } from "./expireOrders.ts";
import { postJournalEntries } from "../../ledger/postJournal.ts";
import { integerArrayLiteral, textArrayLiteral } from "../../../core/store/sqlArrays.ts";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type ChainPaymentsParameters = {
  chainId: number;
  /** Lowercase token address -> currency code; the zero address is the native coin. */
  assets: ReadonlyMap<string, string>;
  platformFeeBps: number;
  /** Payments handled per call at most; the next call takes the rest. */
  batchSizeMax: number;
  onAccepted: (orderId: string) => Promise<void>;
};

type PendingPayment = {
  block_number: string;
  log_index: number;
  transaction_hash: string;
  order_id: string | null;
  token: string;
  amount: string;
  block_time: string | null;
  expires_at: Date | null;
  shop_id: string | null;
};

/** A final payment of a known order in an asset the platform takes, as acceptFinalChainPayments takes it. */
export type FinalChainPayment = {
  orderId: string;
  shopId: bigint;
  providerRef: string;
  amountMinor: bigint;
  currency: string;
  /** Its block's time was past the order's expiry: the expiry runs first, the careful path says "late". */
  late: boolean;
};

export type FinalChainPaymentsSettings = { platformFeeBps: number; batchSizeMax: number };

const bigintMax = 2n ** 63n - 1n;

export async function processChainPayments(db: Drizzle, parameters: ChainPaymentsParameters): Promise<{ processed: number; outcomes: Record<string, number> }> {
  const pending = await queryRows<PendingPayment>(
    db,
    sql`SELECT p.block_number::text, p.log_index, p.transaction_hash, p.order_id, p.token, p.amount::text, b.timestamp::text AS block_time,
               o.expires_at, o.shop_id::text AS shop_id
        FROM chain_payments p
          JOIN indexer_checkpoints c ON c.chain_id = p.chain_id AND p.block_number <= c.finalized_number
          LEFT JOIN chain_blocks b ON b.chain_id = p.chain_id AND b.number = p.block_number
          LEFT JOIN orders o ON o.id = p.order_id
        WHERE p.chain_id = ${parameters.chainId}
          AND NOT EXISTS (SELECT 1 FROM chain_payment_outcomes x WHERE x.chain_id = p.chain_id AND x.block_number = p.block_number AND x.log_index = p.log_index)
        ORDER BY p.block_number, p.log_index LIMIT ${parameters.batchSizeMax}`,
  );
  const providerRefOf = (payment: PendingPayment) => `${parameters.chainId}:${payment.transaction_hash}:${payment.log_index}`;
  // What is decided before any acceptance: an asset the platform does not take, no such order.
  const decided = pending.map((payment): string | FinalChainPayment => {
    const currency = parameters.assets.get(payment.token);
    if (!currency) return "unsupported_asset";
    if (!payment.order_id || payment.expires_at === null || payment.shop_id === null) return "unknown_order";
    const amountMinor = BigInt(payment.amount);
    return {
      orderId: payment.order_id,
      shopId: BigInt(payment.shop_id),
      providerRef: providerRefOf(payment),
      // An amount beyond bigint is certainly an overpayment; the payments row keeps the cap.
      amountMinor: amountMinor > bigintMax ? bigintMax : amountMinor,
      currency,
      late: payment.block_time !== null && Number(payment.block_time) * 1000 > new Date(payment.expires_at).getTime(),
    };
  });
  const toAccept = decided.filter((entry): entry is FinalChainPayment => typeof entry !== "string");
  const accepted = await acceptFinalChainPayments(db, parameters, toAccept);
  const outcomeOf = new Map(toAccept.map((payment, index) => [payment.providerRef, accepted[index]!]));
  const outcomes = decided.map((entry) => (typeof entry === "string" ? entry : outcomeOf.get(entry.providerRef)!));
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  if (pending.length > 0) {
    await db.execute(
      sql`INSERT INTO chain_payment_outcomes (chain_id, block_number, log_index, provider_ref, order_id, outcome)
          SELECT ${parameters.chainId}, block_number, log_index, provider_ref, order_id, outcome
          FROM unnest(${integerArrayLiteral(pending.map((payment) => BigInt(payment.block_number)))}::bigint[],
                      ${integerArrayLiteral(pending.map((payment) => payment.log_index))}::int[],
                      ${textArrayLiteral(pending.map(providerRefOf))}::text[],
                      ${textArrayLiteral(pending.map((payment) => payment.order_id))}::text[],
                      ${textArrayLiteral(outcomes)}::text[]) AS x(block_number, log_index, provider_ref, order_id, outcome)
          ON CONFLICT DO NOTHING`,
    );
  }
  // After the marks: an order is handed on once its payment's processing is settled.
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome === "accepted") await parameters.onAccepted(pending[index]!.order_id!);
  }
  return { processed: pending.length, outcomes: counts };
}

/** The exact payments' statement; one that fails wrote nothing, and every payment then goes carefully. */
async function acceptExactOrNone(db: Drizzle, exact: readonly FinalChainPayment[]) {
  if (exact.length === 0) return [];
  try {
    return await acceptExactPayments(
      db,
      exact.map((payment) => ({ ...payment, provider: "chain" as const })),
    );
  } catch {
    return [];
  }
}

/**
 * Accepts final chain payments and answers each one's outcome, in order (a payment whose order
 * no longer exists: "unknown_order"). The exact first payments of orders awaiting them go in one
 * statement and their ledger entries in one batch; the rest (and any the statement left) each
 * through acceptCarefully. Two payments of one order never share the statement: the later one
 * goes carefully and finds the order paid ("duplicate").
 */
export async function acceptFinalChainPayments(
  db: Drizzle,
  settings: FinalChainPaymentsSettings,
  payments: readonly FinalChainPayment[],
): Promise<(PaymentOutcome | "unknown_order")[]> {
  const seen = new Set<string>();
  const exact = payments.filter((payment) => {
    if (payment.late || seen.has(payment.orderId)) return false;
    seen.add(payment.orderId);
    return true;
  });
  const paidRows = await acceptExactOrNone(db, exact);
  const paid = new Map(exact.flatMap((payment, index) => (paidRows[index] ? [[payment.providerRef, paidRows[index]!] as const] : [])));
  if (paid.size > 0) {
    try {
      await postJournalEntries(
        db,
        [...paid.values()].map((order) => paymentEntryOf(order, "chain", settings)),
      );
    } catch {
      // Left to the outbox sweep (postMissingPaymentEntries), which posts each entry once.
    }
  }
  const outcomes: (PaymentOutcome | "unknown_order")[] = [];
  for (const payment of payments) {
    if (paid.has(payment.providerRef)) {
      outcomes.push("accepted");
      continue;
    }
    // Paid after the order expired (by block time): let the expiry run first so the order service
    // sees an expired order and records the payment as late, whatever the expiry job's timing.
    if (payment.late) await expireOrders(db, { limit: settings.batchSizeMax });
    try {
      const { outcome } = await acceptCarefully(
        db,
        { platformFeeBps: settings.platformFeeBps },
        { orderId: payment.orderId, provider: "chain", providerRef: payment.providerRef, amountMinor: payment.amountMinor, currency: payment.currency },
      );
      outcomes.push(outcome);
    } catch (error) {
      if (error instanceof AppError && error.code === "not_found") {
        outcomes.push("unknown_order");
        continue;
      }
      throw error;
    }
  }
  return outcomes;
}
