// Records a payment for an order, exactly once. The unique (provider, provider_ref) index is
// the replay guard: a notification delivered twice, concurrently or a day later, finds its
// payment row already there and changes nothing. The order row is locked while its state is
// decided, so a payment and the expiry job never both win.
//
// Outcomes:
//   accepted  the order was awaiting payment and the amount and currency match: it is now paid
//             (the caller enqueues fulfilment after this transaction commits);
//   replayed  this provider reference was recorded before: nothing changed;
//   underpaid / overpaid  the amount differs: recorded, the order is unchanged, refund path;
//   late      the order had expired: recorded, refund path;
//   duplicate the order was already paid by another payment: recorded, refund path.
import { AppError } from "../../errors.ts";
import { queryOne, sql, type Drizzle } from "../../store/database.ts";
import { orderRecord, type OrderRecord } from "./orderRecord.ts";
import { postPaymentToLedger } from "./ledgerPostings.ts";

export type PaymentOutcome = "accepted" | "replayed" | "underpaid" | "overpaid" | "late" | "duplicate";

export type AcceptPaymentInput = {
  orderId: string;
  provider: "epay" | "chain";
  providerRef: string;
  amountMinor: bigint;
  currency: string;
  payloadSha256?: Buffer;
};

export type AcceptPaymentSettings = { platformFeeBps: number };

export async function acceptPayment(
  db: Drizzle,
  settings: AcceptPaymentSettings,
  input: AcceptPaymentInput,
): Promise<{ outcome: PaymentOutcome; order: OrderRecord }> {
  return db.transaction(async (tx) => {
    const orderRow = await queryOne<Parameters<typeof orderRecord>[0]>(tx, sql`SELECT * FROM orders WHERE id = ${input.orderId} FOR UPDATE`);
    if (!orderRow) throw new AppError("not_found", `No order ${input.orderId}.`);
    const order = orderRecord(orderRow);
    const outcome = decideOutcome(order, input);
    const status = outcome === "accepted" ? "accepted" : outcome;
    const inserted = await queryOne<{ id: bigint }>(
      tx,
      sql`INSERT INTO payments (order_id, provider, provider_ref, amount_minor, currency, status, payload_sha256)
          VALUES (${order.id}, ${input.provider}, ${input.providerRef}, ${input.amountMinor}, ${input.currency}, ${status},
                  ${input.payloadSha256 ?? null})
          ON CONFLICT (provider, provider_ref) DO NOTHING
          RETURNING id`,
    );
    if (!inserted) return { outcome: "replayed" as const, order };
    await postPaymentToLedger(tx, settings, { order, input, outcome, paymentId: BigInt(inserted.id) });
    if (outcome !== "accepted") return { outcome, order };
    const paid = await queryOne<Parameters<typeof orderRecord>[0]>(
      tx,
      sql`UPDATE orders SET state = 'paid', paid_at = now() WHERE id = ${order.id} RETURNING *`,
    );
    return { outcome, order: orderRecord(paid!) };
  });
}

function decideOutcome(order: OrderRecord, input: AcceptPaymentInput): Exclude<PaymentOutcome, "replayed"> {
  if (order.state !== "awaiting_payment") {
    return order.state === "expired" ? "late" : "duplicate";
  }
  if (input.currency !== order.currency || input.amountMinor < order.amountMinor) return "underpaid";
  if (input.amountMinor > order.amountMinor) return "overpaid";
  return "accepted";
}
