// What the order flow posts to the ledger, inside the caller's database transaction, so an
// order's state and its money move together or not at all. Idempotency keys derive from the
// payment or order, so a retried job or replayed notification never posts twice.
// Sign convention (docs/ledger.md): a posting's amount is positive for a credit.
import { postJournal } from "../../ledger/postJournal.ts";
import type { Drizzle } from "../../store/database.ts";
import type { AcceptPaymentInput, PaymentOutcome } from "./acceptPayment.ts";
import type { OrderRecord } from "./orderRecord.ts";

const platform = (purpose: "clearing_epay" | "clearing_chain" | "fees" | "refunds") => ({ ownerType: "platform" as const, ownerId: 0n, purpose });
const shopPayable = (shopId: bigint) => ({ ownerType: "shop" as const, ownerId: shopId, purpose: "payable" as const });

export function platformFeeOf(amountMinor: bigint, feeBps: number): bigint {
  // Rounded down: the merchant is never charged more than the stated rate.
  return (amountMinor * BigInt(feeBps)) / 10_000n;
}

/**
 * An accepted payment: money arrives in the gateway's clearing account and is split, in one
 * journal transaction, into the platform fee and the shop's payable. Any other outcome
 * (under/over/late/duplicate) is owed back to the buyer: clearing -> platform refunds.
 */
export async function postPaymentToLedger(
  tx: Drizzle,
  settings: { platformFeeBps: number },
  input: { order: OrderRecord; input: AcceptPaymentInput; outcome: Exclude<PaymentOutcome, "replayed">; paymentId: bigint },
): Promise<void> {
  const { order, outcome, paymentId } = input;
  const amount = input.input.amountMinor;
  const currency = input.input.currency;
  const clearing = platform(input.input.provider === "epay" ? "clearing_epay" : "clearing_chain");
  if (outcome === "accepted") {
    const fee = platformFeeOf(amount, settings.platformFeeBps);
    await postJournal(tx, {
      idempotencyKey: `payment:${paymentId}`,
      kind: "order_payment",
      reference: { type: "order", id: order.id },
      postings: [
        { account: clearing, amountMinor: -amount, currency },
        { account: shopPayable(order.shopId), amountMinor: amount - fee, currency },
        ...(fee > 0n ? [{ account: platform("fees"), amountMinor: fee, currency }] : []),
      ],
      metadata: { paymentId: String(paymentId), provider: input.input.provider },
    });
    return;
  }
  await postJournal(tx, {
    idempotencyKey: `payment:${paymentId}`,
    kind: "unmatched_payment",
    reference: { type: "payment", id: String(paymentId) },
    postings: [
      { account: clearing, amountMinor: -amount, currency },
      { account: platform("refunds"), amountMinor: amount, currency },
    ],
    metadata: { orderId: order.id, outcome, provider: input.input.provider },
  });
}

/** A paid order that cannot be delivered: the shop's share and the fee go back to the buyer. */
export async function postRefundToLedger(
  tx: Drizzle,
  input: { orderId: string; shopId: bigint; amountMinor: bigint; currency: string; reason: string; platformFeeBps: number },
): Promise<void> {
  const fee = platformFeeOf(input.amountMinor, input.platformFeeBps);
  await postJournal(tx, {
    idempotencyKey: `refund:${input.orderId}`,
    kind: "order_refund",
    reference: { type: "order", id: input.orderId },
    postings: [
      { account: shopPayable(input.shopId), amountMinor: -(input.amountMinor - fee), currency: input.currency },
      ...(fee > 0n ? [{ account: platform("fees"), amountMinor: -fee, currency: input.currency }] : []),
      { account: platform("refunds"), amountMinor: input.amountMinor, currency: input.currency },
    ],
    metadata: { reason: input.reason },
  });
}
