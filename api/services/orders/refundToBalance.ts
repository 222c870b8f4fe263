// A refund of money the platform collected, moved on to the buyer's platform balance
// (docs/disputes.md, "Refund"): platform refunds -R, buyer refunds +R. Used by a dispute's refund
// and by a group's held payments refunded when the group expires (docs/groupbuy.md). The key is
// derived from the refund, so a retry posts nothing twice.
import { postJournal } from "../../ledger/postJournal.ts";
import type { Drizzle } from "../../../core/store/database.ts";

export async function creditRefundToBuyerBalance(
  tx: Drizzle,
  parameters: { orderId: string; refundId: string; buyerAccountId: bigint; amountMinor: bigint; currency: string },
): Promise<void> {
  const { orderId, refundId, buyerAccountId, amountMinor, currency } = parameters;
  await postJournal(tx, {
    idempotencyKey: `order:${orderId}:refund:${refundId}:balance`,
    kind: "refund_to_balance",
    reference: { type: "refund", id: refundId },
    metadata: { orderId },
    postings: [
      { account: { ownerType: "platform", ownerId: 0n, purpose: "refunds" }, amountMinor: -amountMinor, currency },
      { account: { ownerType: "buyer", ownerId: buyerAccountId, purpose: "refunds" }, amountMinor, currency },
    ],
  });
}
