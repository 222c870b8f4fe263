// A rental payment notification from the platform's EPay merchant, checked like a resale's
// (pid, signature, TRADE_SUCCESS, known rental, exact amount: each failure a 4xx that writes
// nothing), then settled in ONE database transaction:
// - the payment is recorded once per trade number (a replay changes nothing);
// - under the offer's row lock, the rental wins only if the offer is still active, no other
//   renter holds an open checkout, the entitlement is still sealed, in custody and the owner's,
//   and nobody rents it now: then the offer is closed (rented), the term starts now (the chain's
//   clock) and ends `days` later, the ledger posts the payment and postRental (fee, royalty,
//   owner's proceeds in one balanced transaction), and the on-chain setUser is queued;
// - otherwise the money takes the refund path (platform refunds owes it back to the renter).
import { AppError } from "../../../core/errors.ts";
import { postRental } from "../../ledger/flows.ts";
import { postJournal } from "../../ledger/postJournal.ts";
import { checkEpayNotification, parseEpayMoney, type EpayParams } from "../../payments/epay.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { inCustody } from "../resale/custody.ts";
import type { ResaleEpayMerchant } from "../resale/resalePayments.ts";
import { rentalUserAddress } from "./rentalUser.ts";
import { runningRentalEnd } from "./runningRental.ts";

export type RentalSettlementOutcome = "settled" | "refund_pending" | "replayed";

export type SettleRentalSettings = {
  merchant: ResaleEpayMerchant;
  holderSalt: Uint8Array;
  platformFeeBps: number;
  custodian: string | undefined;
  now: Date;
};

export async function handleRentalNotify(
  db: Drizzle,
  settings: SettleRentalSettings,
  params: EpayParams,
): Promise<{ outcome: RentalSettlementOutcome; rentalId: string }> {
  const { tradeNo, outTradeNo: rentalId } = checkEpayNotification(params, { ...settings.merchant, whose: "the platform's" });
  const rental = await queryOne<{ price_minor: bigint }>(db, sql`SELECT price_minor FROM rentals WHERE id = ${rentalId}`);
  if (!rental) throw new AppError("not_found", `No rental ${rentalId}.`);
  const amountMinor = parseEpayMoney(params.money ?? "");
  if (amountMinor === undefined || amountMinor !== BigInt(rental.price_minor)) {
    throw new AppError("amount_mismatch", `money ${params.money ?? "(missing)"} is not the rental's price; nothing was recorded.`);
  }
  const outcome = await settleRentalPayment(db, settings, { rentalId, providerRef: tradeNo, amountMinor });
  return { outcome, rentalId };
}

type Locked = {
  listing_id: bigint;
  listing_state: string;
  owner_account_id: bigint;
  shop_id: bigint;
  product_id: bigint;
  entitlement_id: bigint;
  rental_state: string;
  renter_account_id: bigint;
  days: number;
  price_minor: bigint;
  currency: string;
};

export async function settleRentalPayment(
  db: Drizzle,
  settings: SettleRentalSettings,
  payment: { rentalId: string; providerRef: string; amountMinor: bigint },
): Promise<RentalSettlementOutcome> {
  return db.transaction(async (tx) => {
    // The offer's row lock first (the same order as checkout), then the rental's.
    const row = await queryOne<Locked>(
      tx,
      sql`SELECT l.id AS listing_id, l.state AS listing_state, l.owner_account_id, l.shop_id, l.product_id, l.entitlement_id,
                 r.state AS rental_state, r.renter_account_id, r.days, r.price_minor, r.currency
          FROM rental_listings l JOIN rentals r ON r.listing_id = l.id
          WHERE r.id = ${payment.rentalId} FOR UPDATE OF l, r`,
    );
    if (!row) throw new AppError("not_found", `No rental ${payment.rentalId}.`);
    const inserted = await queryOne<{ id: bigint }>(
      tx,
      sql`INSERT INTO rental_payments (rental_id, provider, provider_ref, amount_minor, currency, status)
          VALUES (${payment.rentalId}, 'epay', ${payment.providerRef}, ${payment.amountMinor}, ${row.currency}, 'accepted')
          ON CONFLICT (provider, provider_ref) DO NOTHING RETURNING id`,
    );
    if (!inserted) return "replayed" as const;
    const renter = BigInt(row.renter_account_id);
    const price = BigInt(row.price_minor);
    const reference = { type: "rental" as const, id: payment.rentalId };
    await postJournal(tx, {
      idempotencyKey: `rental:${payment.rentalId}:payment:${payment.providerRef}`,
      kind: "rental_payment",
      reference,
      metadata: { provider: "epay" },
      postings: [
        { account: { ownerType: "platform", ownerId: 0n, purpose: "clearing_epay" }, amountMinor: -price, currency: row.currency },
        { account: { ownerType: "buyer", ownerId: renter, purpose: "payments" }, amountMinor: price, currency: row.currency },
      ],
    });
    if (!(await canSettle(tx, settings, row, payment.rentalId))) {
      await tx.execute(sql`UPDATE rental_payments SET status = 'refund_pending' WHERE id = ${inserted.id}`);
      await tx.execute(
        sql`UPDATE rentals SET state = 'refund_pending', refund_reason = 'offer_unavailable' WHERE id = ${payment.rentalId} AND state <> 'settled'`,
      );
      await postJournal(tx, {
        idempotencyKey: `rental:${payment.rentalId}:refund:${payment.providerRef}`,
        kind: "rental_refund",
        reference,
        metadata: { reason: "offer_unavailable" },
        postings: [
          { account: { ownerType: "buyer", ownerId: renter, purpose: "payments" }, amountMinor: -price, currency: row.currency },
          { account: { ownerType: "platform", ownerId: 0n, purpose: "refunds" }, amountMinor: price, currency: row.currency },
        ],
      });
      return "refund_pending" as const;
    }
    const startsAt = settings.now;
    const endsAt = new Date(startsAt.getTime() + row.days * 86_400_000);
    await tx.execute(sql`UPDATE rental_listings SET state = 'rented', closed_at = now() WHERE id = ${row.listing_id}`);
    await tx.execute(
      sql`UPDATE rentals SET state = 'settled', starts_at = ${startsAt}, ends_at = ${endsAt}, chain_state = 'pending',
                 user_address = ${rentalUserAddress(settings.holderSalt, renter)}
          WHERE id = ${payment.rentalId}`,
    );
    // Both shares are held for the after-sales window of the product's category, from now (the
    // database's clock, the one the ledger's expiry sweep compares with), as a sale's are.
    const royalty = await queryOne<{ royalty_bps: number; hold_until: Date }>(
      tx,
      sql`SELECT p.royalty_bps, now() + make_interval(secs => w.window_seconds) AS hold_until
          FROM products p JOIN after_sales_windows w ON w.category = p.category WHERE p.id = ${row.product_id}`,
    );
    await postRental(tx, {
      rentalId: payment.rentalId,
      ownerAccountId: BigInt(row.owner_account_id),
      renterAccountId: renter,
      shopId: BigInt(row.shop_id),
      priceMinor: price,
      currency: row.currency,
      royaltyBps: royalty!.royalty_bps,
      platformFeeBps: settings.platformFeeBps,
      holdUntil: new Date(royalty!.hold_until),
    });
    return "settled" as const;
  });
}

async function canSettle(tx: Drizzle, settings: SettleRentalSettings, row: Locked, rentalId: string): Promise<boolean> {
  if (row.listing_state !== "active") return false;
  if (row.rental_state !== "awaiting_payment" && row.rental_state !== "expired") return false;
  // An expired checkout still wins if nobody else has taken the offer since.
  const other = await queryOne<{ id: string }>(
    tx,
    sql`SELECT id FROM rentals WHERE listing_id = ${row.listing_id} AND state = 'awaiting_payment' AND id <> ${rentalId} AND expires_at > now()`,
  );
  if (other) return false;
  const entitlement = await queryOne<{ ok: boolean }>(
    tx,
    sql`SELECT (e.state = 'sealed' AND e.owner_account_id = ${row.owner_account_id} AND ${inCustody(settings.custodian)}) AS ok
        FROM entitlements e WHERE e.id = ${row.entitlement_id} FOR UPDATE`,
  );
  if (entitlement?.ok !== true) return false;
  return (await runningRentalEnd(tx, BigInt(row.entitlement_id), settings.now)) === undefined;
}
