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
import { orderPaymentEntry } from "../../ledger/flows.ts";
import { entryJson, validateJournalInput } from "../../ledger/postJournal.ts";
import { pgErrorCode, pgErrorCodes } from "../../store/errors.ts";
import { orderRecord, type OrderRecord, type OrderRow } from "./orderRecord.ts";
import { postPaymentToLedger } from "./ledgerPostings.ts";

export type PaymentOutcome = "accepted" | "replayed" | "underpaid" | "overpaid" | "late" | "duplicate";

export type AcceptPaymentInput = {
  orderId: string;
  /** The order's shop when the caller knows it already; it enables the one-statement path. */
  shopId?: bigint;
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
  const paid = input.shopId === undefined ? undefined : await acceptExactPayment(db, settings, { ...input, shopId: input.shopId });
  if (paid) return { outcome: "accepted", order: paid };
  return acceptCarefully(db, settings, input);
}

/**
 * The common case, a first payment of the exact amount for an order awaiting it, in one
 * statement inside one transaction: the order becomes paid, the payment is recorded and its
 * ledger entry posted, together. Anything else (a replay, a mismatch, a late or second
 * payment, or a race with another notification) writes nothing here and takes the careful
 * path, which locks the order and decides.
 */
async function acceptExactPayment(
  db: Drizzle,
  settings: AcceptPaymentSettings,
  input: AcceptPaymentInput & { shopId: bigint },
): Promise<OrderRecord | undefined> {
  const { entry } = orderPaymentEntry({
    orderId: input.orderId,
    shopId: input.shopId,
    amountMinor: input.amountMinor,
    currency: input.currency,
    provider: input.provider,
    platformFeeBps: settings.platformFeeBps,
  });
  validateJournalInput(entry);
  const ledgerPayload = JSON.stringify([entryJson(entry)]);
  try {
    return await db.transaction(async (tx) => {
      const row = await queryOne<OrderRow & { ledger: { s: string; d: string | null }[] }>(
        tx,
        sql`WITH o AS (
              UPDATE orders SET state = 'paid', paid_at = now()
              WHERE id = ${input.orderId} AND shop_id = ${input.shopId} AND state = 'awaiting_payment'
                AND amount_minor = ${input.amountMinor} AND currency = ${input.currency}
                AND NOT EXISTS (SELECT 1 FROM payments WHERE provider = ${input.provider} AND provider_ref = ${input.providerRef})
              RETURNING *
            ),
            recorded AS (
              INSERT INTO payments (order_id, provider, provider_ref, amount_minor, currency, status, payload_sha256)
              SELECT id, ${input.provider}, ${input.providerRef}, ${input.amountMinor}, ${input.currency}, 'accepted', ${input.payloadSha256 ?? null}
              FROM o RETURNING id
            ),
            posted AS (SELECT ledger_post_batch(${ledgerPayload}::jsonb) AS results FROM o)
            SELECT o.*, (SELECT results FROM posted) AS ledger FROM o WHERE (SELECT count(*) FROM recorded) = 1`,
      );
      if (!row) return undefined;
      const result = row.ledger[0];
      if (result?.s !== "created" && result?.s !== "exists") {
        // Rolls the whole statement back: the careful path will post through postJournal and
        // surface the ledger's own error.
        throw new LedgerRefused(result?.d ?? result?.s ?? "no result");
      }
      return orderRecord(row);
    });
  } catch (error) {
    if (error instanceof LedgerRefused || pgErrorCode(error) === pgErrorCodes.uniqueViolation) return undefined;
    throw error;
  }
}

class LedgerRefused extends Error {}

async function acceptCarefully(
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
