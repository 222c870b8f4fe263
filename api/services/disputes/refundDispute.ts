// A dispute's refund (full or partial) through the ledger. Where the money goes depends on who
// collected it (docs/ledger.md, "Who holds the money"; docs/disputes.md, "Refunds"):
// - the shop's own EPay gateway (merchant-collected): the platform never held the money, so the
//   ledger records the refund (the memo pair and the fee's share) and the merchant pays the buyer
//   back through its gateway (channel merchant_gateway). The EPay protocol this platform speaks
//   has no refund call shared by the gateways, so none is made for it;
// - the platform (on-chain payment or the platform's EPay merchant): the shop's share comes out
//   of its held proceeds and the fee's share out of the platform's fees, into platform refunds;
//   for a buyer with an account it moves on to the buyer's platform balance (buyer/refunds,
//   channel buyer_balance), for a guest it stays owed in platform refunds (platform_refunds),
//   paid back by the operators through the original payment.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { creditRefundToBuyerBalance } from "../orders/refundToBalance.ts";
import { ensurePaymentEntry } from "../orders/paymentEntryOutbox.ts";
import { refundThroughProceedsHold } from "./proceedsHolds.ts";

export type RefundPosition = { paidMinor: bigint; refundedMinor: bigint; remainingMinor: bigint; currency: string; merchantCollected: boolean };

/** What the order's payment entry received and what its refund entries gave back, from the ledger. */
export async function refundPosition(db: Drizzle, orderId: string): Promise<RefundPosition | undefined> {
  const row = await queryOne<{ paid: string | null; refunded: string; currency: string | null; merchant: boolean | null }>(
    db,
    sql`SELECT (SELECT -sum(p.amount_minor) FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
                WHERE t.reference_type = 'order' AND t.reference_id = ${orderId} AND t.kind = 'order_payment' AND a.purpose LIKE 'clearing_%')::text AS paid,
               (SELECT coalesce(sum(p.amount_minor), 0) FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
                WHERE t.reference_type = 'order' AND t.reference_id = ${orderId} AND t.kind = 'order_refund'
                  AND a.owner_type = 'platform' AND a.purpose IN ('refunds', 'clearing_merchant'))::text AS refunded,
               (SELECT max(p.currency) FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id
                WHERE t.reference_type = 'order' AND t.reference_id = ${orderId} AND t.kind = 'order_payment') AS currency,
               (SELECT bool_or(a.purpose = 'clearing_merchant') FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
                WHERE t.reference_type = 'order' AND t.reference_id = ${orderId} AND t.kind = 'order_payment') AS merchant`,
  );
  if (!row?.paid || !row.currency) return undefined;
  const paidMinor = BigInt(row.paid);
  const refundedMinor = BigInt(row.refunded);
  return { paidMinor, refundedMinor, remainingMinor: paidMinor - refundedMinor, currency: row.currency, merchantCollected: row.merchant === true };
}

/** Refuses an amount above what was paid (422) or above what is left to refund (409), before anything is written. */
export function checkRefundAmount(position: RefundPosition, amountMinor: bigint, orderId: string): void {
  if (amountMinor <= 0n) throw new AppError("validation_failed", "amountMinor must be a positive whole number of minor units.");
  if (amountMinor > position.paidMinor) {
    throw new AppError(
      "refund_exceeds_paid",
      `Order ${orderId} was paid ${position.paidMinor}; a refund of ${amountMinor} is more than that. Refund at most ${position.remainingMinor}.`,
      {
        details: { paidMinor: String(position.paidMinor), remainingMinor: String(position.remainingMinor) },
      },
    );
  }
  if (amountMinor > position.remainingMinor) {
    throw new AppError(
      "refund_exceeds_remaining",
      `Order ${orderId} has ${position.remainingMinor} left to refund (paid ${position.paidMinor}, refunded ${position.refundedMinor}); ask for at most that.`,
      { details: { paidMinor: String(position.paidMinor), remainingMinor: String(position.remainingMinor) } },
    );
  }
}

export type DisputeRefund = {
  amountMinor: bigint;
  currency: string;
  channel: "buyer_balance" | "platform_refunds" | "merchant_gateway";
  transactionId: bigint;
};

/** Posts the refund inside the caller's transaction (the dispute's row is locked) and records it. */
export async function refundDispute(
  tx: Drizzle,
  dispute: { id: bigint; order_id: string; shop_id: bigint },
  amountMinor: bigint,
  settings: { platformFeeBps: number },
): Promise<DisputeRefund> {
  // The sale's entry may still wait in the group commit (acceptPayment.ts): post it first.
  await ensurePaymentEntry(tx, settings, dispute.order_id);
  const position = await refundPosition(tx, dispute.order_id);
  if (!position) throw new AppError("invalid_state", `Order ${dispute.order_id} has no payment in the ledger; there is nothing to refund.`);
  checkRefundAmount(position, amountMinor, dispute.order_id);
  const count = await queryOne<{ n: string }>(tx, sql`SELECT count(*)::text AS n FROM dispute_refunds WHERE order_id = ${dispute.order_id}`);
  const refundId = `dispute-${dispute.id}-${Number(count!.n) + 1}`;
  const refund = await refundThroughProceedsHold(tx, {
    orderId: dispute.order_id,
    shopId: BigInt(dispute.shop_id),
    amountMinor,
    currency: position.currency,
    refundId,
  });
  const buyer = await queryOne<{ buyer_account_id: bigint | null }>(tx, sql`SELECT buyer_account_id FROM orders WHERE id = ${dispute.order_id}`);
  let channel: DisputeRefund["channel"] = position.merchantCollected ? "merchant_gateway" : "platform_refunds";
  if (!position.merchantCollected && buyer?.buyer_account_id != null) {
    channel = "buyer_balance";
    await creditRefundToBuyerBalance(tx, {
      orderId: dispute.order_id,
      refundId,
      buyerAccountId: BigInt(buyer.buyer_account_id),
      amountMinor,
      currency: position.currency,
    });
  }
  await tx.execute(
    sql`INSERT INTO dispute_refunds (dispute_id, order_id, amount_minor, currency, channel, transaction_id)
        VALUES (${dispute.id}, ${dispute.order_id}, ${amountMinor}, ${position.currency}, ${channel}, ${refund.transactionId})`,
  );
  if (amountMinor === position.remainingMinor) {
    await tx.execute(sql`UPDATE orders SET state = 'refunded', refund_reason = 'dispute' WHERE id = ${dispute.order_id}`);
  }
  return { amountMinor, currency: position.currency, channel, transactionId: refund.transactionId };
}
