// Paying an order from the buyer's platform balance (docs/docking.md, "Across instances": what an
// unattended program, such as another instance's purchase job, pays with). One transaction: the
// order and the balance are locked, the balance moves to platform/clearing_balance (entry
// order:<id>:balance-payment), and the order is paid through the one careful path every payment
// takes (acceptCarefully: the payments row, provider `balance` and the order id as reference, is
// the replay guard; the usual order_payment entry splits the clearing into fee and payable).
// A second call for a paid order charges nothing and answers the order as it is.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { postJournal } from "../../ledger/postJournal.ts";
import { acceptCarefully, type AcceptPaymentSettings } from "./acceptPayment.ts";
import { orderRecord, type OrderRecord, type OrderRow } from "./orderRecord.ts";

export async function payOrderFromBalance(
  db: Drizzle,
  settings: AcceptPaymentSettings,
  input: { orderId: string; accountId: bigint },
): Promise<{ order: OrderRecord; charged: boolean }> {
  return db.transaction(async (tx) => {
    const row = await queryOne<OrderRow & { group_id: string | null }>(tx, sql`SELECT * FROM orders WHERE id = ${input.orderId} FOR UPDATE`);
    // Another buyer's order is answered as unknown: its existence is not the caller's business.
    if (!row || row.buyer_account_id === null || BigInt(row.buyer_account_id) !== input.accountId) {
      throw new AppError("not_found", `No order ${input.orderId} of yours.`);
    }
    const order = orderRecord(row);
    const paid = await queryOne<{ id: bigint }>(tx, sql`SELECT id FROM payments WHERE order_id = ${order.id} AND provider = 'balance' AND status = 'accepted'`);
    if (paid) return { order, charged: false };
    if (order.state !== "awaiting_payment") {
      throw new AppError("invalid_state", `Order ${order.id} is ${order.state}; only an order awaiting payment can be paid from the balance.`);
    }
    // The balance is the platform's money: it pays platform-collected orders only (a shop's own
    // gateway would leave the platform owing the shop what the merchant never received from it).
    if (order.paymentMethod !== "chain" || row.group_id !== null) {
      throw new AppError(
        "invalid_state",
        `Order ${order.id} is not paid through the platform; check out with paymentMethod "chain" (and not in a buying group) to pay from the balance.`,
      );
    }
    const balance = await queryOne<{ balance_minor: bigint }>(
      tx,
      sql`SELECT balance_minor FROM ledger_accounts WHERE owner_type = 'buyer' AND owner_id = ${input.accountId}
            AND purpose = 'refunds' AND currency = ${order.currency} FOR UPDATE`,
    );
    const available = BigInt(balance?.balance_minor ?? 0n);
    if (available < order.amountMinor) {
      throw new AppError(
        "insufficient_funds",
        `Your balance is ${available} ${order.currency} (minor units) and order ${order.id} costs ${order.amountMinor}; top it up (POST /api/balance/topups) and pay again.`,
        { details: { balanceMinor: String(available), amountMinor: String(order.amountMinor) } },
      );
    }
    await postJournal(tx, {
      idempotencyKey: `order:${order.id}:balance-payment`,
      kind: "balance_payment",
      reference: { type: "order", id: order.id },
      metadata: { buyerAccountId: String(input.accountId) },
      postings: [
        { account: { ownerType: "buyer", ownerId: input.accountId, purpose: "refunds" }, amountMinor: -order.amountMinor, currency: order.currency },
        { account: { ownerType: "platform", ownerId: 0n, purpose: "clearing_balance" }, amountMinor: order.amountMinor, currency: order.currency },
      ],
    });
    const accepted = await acceptCarefully(tx, settings, {
      orderId: order.id,
      provider: "balance",
      providerRef: order.id,
      amountMinor: order.amountMinor,
      currency: order.currency,
    });
    if (accepted.outcome !== "accepted") throw new Error(`Order ${order.id}: a balance payment of a locked awaiting order was ${accepted.outcome}.`);
    return { order: accepted.order, charged: true };
  });
}
