// What the order flow posts to the ledger, inside the caller's database transaction, so an
// order's state and its money move together or not at all. The money flows themselves are
// the ledger's (api/ledger/flows.ts); this module decides which flow an outcome takes.
// A payment that cannot pay for its order (under/over/late/duplicate) is owed back to the
// buyer (unmatchedPaymentEntry).
import { postOrderPayment, unmatchedPaymentEntry } from "../../ledger/flows.ts";
import { postJournal } from "../../ledger/postJournal.ts";
import type { Drizzle } from "../../../core/store/database.ts";
import type { AcceptPaymentInput, PaymentOutcome } from "./acceptPayment.ts";
import { feeBpsOf, type OrderRecord } from "./orderRecord.ts";

export async function postPaymentToLedger(
  tx: Drizzle,
  settings: { platformFeeBps: number },
  input: { order: OrderRecord; input: AcceptPaymentInput; outcome: Exclude<PaymentOutcome, "replayed">; paymentId: bigint },
): Promise<void> {
  const { order, outcome, paymentId } = input;
  const { provider, amountMinor } = input.input;
  const currency = input.input.currency ?? order.currency;
  if (outcome === "accepted") {
    await postOrderPayment(tx, {
      orderId: order.id,
      shopId: order.shopId,
      amountMinor,
      currency,
      provider,
      platformFeeBps: feeBpsOf(order, settings),
      distribution: order.distribution,
      ...(order.docking ? { docking: order.docking } : {}),
    });
    return;
  }
  await postJournal(tx, unmatchedPaymentEntry({ paymentId, orderId: order.id, shopId: order.shopId, provider, amountMinor, currency, outcome }));
}
