// Reconciliation of the ledger with the payment records: for each order, what the ledger says
// was received and refunded must equal what the payments table says. Findings are data (the
// auditor's screen and the indexer's reconciliation show them); nothing is corrected here.
import { AppError } from "../../core/errors.ts";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { textArrayLiteral } from "../../core/store/sqlArrays.ts";

// One reconciliation call reads at most this many orders; callers page through the rest.
export const reconcileOrdersMax = 1000;

export type LedgerOrderTotals = {
  orderId: string;
  currency: string | null;
  /** Accepted payments: debits of the clearing accounts by order_payment transactions. */
  paidMinor: bigint;
  /** Payments that could not be accepted (under/over/late/duplicate), owed back to the buyer. */
  unmatchedMinor: bigint;
  /**
   * Refunds: what order_refund transactions credited to the platform's refunds account (money
   * the platform pays back) or back to clearing_merchant (a merchant-collected sale the merchant
   * refunded itself).
   */
  refundedMinor: bigint;
  feeMinor: bigint;
};

function checkOrderIds(orderIds: string[]): void {
  if (orderIds.length > reconcileOrdersMax) throw new AppError("validation_failed", `At most ${reconcileOrdersMax} orders at once.`);
}

export async function ledgerTotalsByOrder(db: Drizzle, orderIds: string[]): Promise<LedgerOrderTotals[]> {
  checkOrderIds(orderIds);
  if (orderIds.length === 0) return [];
  const rows = await queryRows<{ order_id: string; currency: string | null; paid: string; unmatched: string; refunded: string; fee: string }>(
    db,
    sql`WITH wanted AS (SELECT unnest(${textArrayLiteral(orderIds)}::text[]) AS order_id),
        moves AS (
          SELECT CASE WHEN t.reference_type = 'order' THEN t.reference_id ELSE t.metadata->>'orderId' END AS order_id,
                 t.kind, a.owner_type, a.purpose, p.amount_minor, p.currency
          FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
          WHERE (t.reference_type = 'order' AND t.reference_id IN (SELECT order_id FROM wanted))
             OR (t.reference_type = 'payment' AND t.metadata->>'orderId' IN (SELECT order_id FROM wanted)))
        SELECT w.order_id, max(m.currency) AS currency,
               (-coalesce(sum(m.amount_minor) FILTER (WHERE m.kind = 'order_payment' AND m.purpose LIKE 'clearing%'), 0))::text AS paid,
               (-coalesce(sum(m.amount_minor) FILTER (WHERE m.kind = 'unmatched_payment' AND m.purpose LIKE 'clearing%'), 0))::text AS unmatched,
               coalesce(sum(m.amount_minor) FILTER (WHERE m.kind = 'order_refund' AND m.owner_type = 'platform' AND m.purpose IN ('refunds', 'clearing_merchant')), 0)::text AS refunded,
               coalesce(sum(m.amount_minor) FILTER (WHERE m.owner_type = 'platform' AND m.purpose = 'fees'), 0)::text AS fee
        FROM wanted w LEFT JOIN moves m ON m.order_id = w.order_id
        GROUP BY w.order_id ORDER BY w.order_id`,
  );
  return rows.map((row) => ({
    orderId: row.order_id,
    currency: row.currency,
    paidMinor: BigInt(row.paid),
    unmatchedMinor: BigInt(row.unmatched),
    refundedMinor: BigInt(row.refunded),
    feeMinor: BigInt(row.fee),
  }));
}

export type ReconciliationFinding = {
  orderId: string;
  problem: "paid_mismatch" | "unmatched_mismatch" | "refund_without_payment" | "refund_exceeds_payment";
  ledgerMinor: bigint;
  paymentsMinor: bigint;
  message: string;
};

/**
 * Compares the ledger with the payments table for the given orders (or the most recent
 * `reconcileOrdersMax` orders that have payments). Accepted payment records (including ones
 * later refunded) must equal the ledger's paid total; other records (underpaid, overpaid, late,
 * duplicate) its unmatched total; refunds never exceed what was paid.
 */
export async function reconcileOrderPayments(db: Drizzle, parameters: { orderIds?: string[] } = {}): Promise<ReconciliationFinding[]> {
  const orderIds =
    parameters.orderIds ??
    (await queryRows<{ order_id: string }>(db, sql`SELECT order_id FROM payments GROUP BY order_id ORDER BY max(id) DESC LIMIT ${reconcileOrdersMax}`)).map(
      (row) => row.order_id,
    );
  checkOrderIds(orderIds);
  if (orderIds.length === 0) return [];
  const records = new Map(
    (
      await queryRows<{ order_id: string; accepted: string; other: string }>(
        db,
        sql`SELECT order_id,
                   coalesce(sum(amount_minor) FILTER (WHERE status IN ('accepted', 'refund_pending', 'refunded')), 0)::text AS accepted,
                   coalesce(sum(amount_minor) FILTER (WHERE status IN ('underpaid', 'overpaid', 'late', 'duplicate')), 0)::text AS other
            FROM payments WHERE order_id = ANY(${textArrayLiteral(orderIds)}::text[]) GROUP BY order_id`,
      )
    ).map((row) => [row.order_id, { accepted: BigInt(row.accepted), other: BigInt(row.other) }]),
  );
  const findings: ReconciliationFinding[] = [];
  for (const totals of await ledgerTotalsByOrder(db, orderIds)) {
    const record = records.get(totals.orderId) ?? { accepted: 0n, other: 0n };
    if (totals.paidMinor !== record.accepted) {
      findings.push({
        orderId: totals.orderId,
        problem: "paid_mismatch",
        ledgerMinor: totals.paidMinor,
        paymentsMinor: record.accepted,
        message: `ledger received ${totals.paidMinor}, payment records say ${record.accepted}`,
      });
    }
    if (totals.unmatchedMinor !== record.other) {
      findings.push({
        orderId: totals.orderId,
        problem: "unmatched_mismatch",
        ledgerMinor: totals.unmatchedMinor,
        paymentsMinor: record.other,
        message: `ledger holds ${totals.unmatchedMinor} of unmatched payments, payment records say ${record.other}`,
      });
    }
    if (totals.refundedMinor > totals.paidMinor) {
      findings.push({
        orderId: totals.orderId,
        problem: totals.paidMinor === 0n ? "refund_without_payment" : "refund_exceeds_payment",
        ledgerMinor: totals.refundedMinor,
        paymentsMinor: totals.paidMinor,
        message: `ledger refunded ${totals.refundedMinor} of ${totals.paidMinor} paid`,
      });
    }
  }
  return findings;
}

export type ChainPaymentFinding = {
  orderId: string | null;
  problem: "chain_amount_mismatch" | "chain_payment_not_in_ledger";
  ledgerMinor: bigint;
  chainMinor: bigint;
  message: string;
};

// Outcomes of the indexer's payment processing that reach the ledger (accepted payments, and
// the refund path of underpaid, overpaid, late and duplicate ones).
const bookedOutcomes = ["accepted", "underpaid", "overpaid", "late", "duplicate"];

/**
 * On-chain payments in the ledger against the confirmed (final, processed) OrderPaid events the
 * indexer stored: per order, the ledger's chain clearing debits must equal the events' amounts
 * (token base units are the currency's minor units, as the indexer posts them); a final payment
 * the indexer could not attach to an order or asset is money received that the books do not
 * hold, and is reported too.
 */
export async function reconcileChainPayments(db: Drizzle, parameters: { chainId: number; limit?: number }): Promise<ChainPaymentFinding[]> {
  const limit = Math.min(parameters.limit ?? reconcileOrdersMax, reconcileOrdersMax);
  const rows = await queryRows<{ order_id: string; chain: string; ledger: string }>(
    db,
    sql`WITH chain AS (
          SELECT p.order_id, sum(least(p.amount, 9223372036854775807)) AS total
          FROM chain_payments p JOIN chain_payment_outcomes o
            ON o.chain_id = p.chain_id AND o.block_number = p.block_number AND o.log_index = p.log_index
          WHERE p.chain_id = ${parameters.chainId} AND o.outcome = ANY(${textArrayLiteral(bookedOutcomes)}::text[])
          GROUP BY p.order_id ORDER BY p.order_id LIMIT ${limit}),
        ledger AS (
          SELECT CASE WHEN t.reference_type = 'order' THEN t.reference_id ELSE t.metadata->>'orderId' END AS order_id,
                 -sum(pp.amount_minor) AS total
          FROM ledger_transactions t JOIN ledger_postings pp ON pp.tx_id = t.id JOIN ledger_accounts a ON a.id = pp.account_id
          WHERE a.owner_type = 'platform' AND a.purpose = 'clearing_chain' AND t.kind IN ('order_payment', 'unmatched_payment')
            AND (CASE WHEN t.reference_type = 'order' THEN t.reference_id ELSE t.metadata->>'orderId' END) IN (SELECT order_id FROM chain)
          GROUP BY 1)
        SELECT chain.order_id, chain.total::text AS chain, coalesce(ledger.total, 0)::text AS ledger
        FROM chain LEFT JOIN ledger ON ledger.order_id = chain.order_id
        WHERE chain.total <> coalesce(ledger.total, 0)`,
  );
  const findings: ChainPaymentFinding[] = rows.map((row) => ({
    orderId: row.order_id,
    problem: "chain_amount_mismatch",
    ledgerMinor: BigInt(row.ledger),
    chainMinor: BigInt(row.chain),
    message: `final on-chain payments for order ${row.order_id} total ${row.chain}; the ledger's chain clearing holds ${row.ledger}`,
  }));
  const unbooked = await queryRows<{ order_id: string | null; amount: string; provider_ref: string; outcome: string }>(
    db,
    sql`SELECT p.order_id, least(p.amount, 9223372036854775807)::text AS amount, o.provider_ref, o.outcome
        FROM chain_payments p JOIN chain_payment_outcomes o
          ON o.chain_id = p.chain_id AND o.block_number = p.block_number AND o.log_index = p.log_index
        WHERE p.chain_id = ${parameters.chainId} AND o.outcome IN ('unknown_order', 'unsupported_asset')
        ORDER BY p.block_number, p.log_index LIMIT ${limit}`,
  );
  for (const row of unbooked) {
    findings.push({
      orderId: row.order_id,
      problem: "chain_payment_not_in_ledger",
      ledgerMinor: 0n,
      chainMinor: BigInt(row.amount),
      message: `payment ${row.provider_ref} (${row.outcome}) received ${row.amount} on-chain and is not in the ledger`,
    });
  }
  return findings;
}
