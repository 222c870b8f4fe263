// A resale payment notification from the platform's EPay merchant, checked like a shop's (pid,
// signature, TRADE_SUCCESS, known purchase, exact amount: each failure a 4xx that writes
// nothing), then settled in ONE database transaction:
// - the payment is recorded once per trade number (a replay changes nothing);
// - under the listing's row lock, the purchase wins only if the listing is still active, no
//   other buyer holds an open checkout, and the entitlement is still sealed, in custody and the
//   seller's: then the listing is sold, ownership moves to the buyer, the ledger posts the
//   payment and postResale (fee, royalty, proceeds held for the chargeback window), and a
//   custodial transfer record is queued for the chain worker;
// - otherwise the money takes the refund path (platform refunds owes it back to the buyer).
import { AppError } from "../../../core/errors.ts";
import { postResale } from "../../ledger/flows.ts";
import { postJournal } from "../../ledger/postJournal.ts";
import { checkEpayNotification, parseEpayMoney, type EpayParams } from "../../payments/epay.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { inCustody } from "./custody.ts";
import { holderId } from "./holderId.ts";
import type { ResaleEpayMerchant } from "./resalePayments.ts";

export type ResaleSettlementOutcome = "settled" | "refund_pending" | "replayed";

export type SettleResaleSettings = {
  merchant: ResaleEpayMerchant;
  holderSalt: Uint8Array;
  holdSeconds: number;
  platformFeeBps: number;
  custodian: string | undefined;
};

export async function handleResaleNotify(
  db: Drizzle,
  settings: SettleResaleSettings,
  params: EpayParams,
): Promise<{ outcome: ResaleSettlementOutcome; purchaseId: string }> {
  const { tradeNo, outTradeNo: purchaseId } = checkEpayNotification(params, { ...settings.merchant, whose: "the platform's" });
  const purchase = await queryOne<{ price_minor: bigint }>(db, sql`SELECT price_minor FROM resale_purchases WHERE id = ${purchaseId}`);
  if (!purchase) throw new AppError("not_found", `No resale purchase ${purchaseId}.`);
  const amountMinor = parseEpayMoney(params.money ?? "");
  if (amountMinor === undefined || amountMinor !== BigInt(purchase.price_minor)) {
    throw new AppError("amount_mismatch", `money ${params.money ?? "(missing)"} is not the purchase's price; nothing was recorded.`);
  }
  const outcome = await settleResalePayment(db, settings, { purchaseId, providerRef: tradeNo, amountMinor });
  return { outcome, purchaseId };
}

type Locked = {
  listing_id: bigint;
  listing_state: string;
  seller_account_id: bigint;
  shop_id: bigint;
  product_id: bigint;
  entitlement_id: bigint;
  purchase_state: string;
  buyer_account_id: bigint;
  price_minor: bigint;
  currency: string;
};

export async function settleResalePayment(
  db: Drizzle,
  settings: SettleResaleSettings,
  payment: { purchaseId: string; providerRef: string; amountMinor: bigint },
): Promise<ResaleSettlementOutcome> {
  return db.transaction(async (tx) => {
    // The listing's row lock first (the same order as checkout), then the purchase's.
    const row = await queryOne<Locked>(
      tx,
      sql`SELECT l.id AS listing_id, l.state AS listing_state, l.seller_account_id, l.shop_id, l.product_id, l.entitlement_id,
                 p.state AS purchase_state, p.buyer_account_id, p.price_minor, p.currency
          FROM resale_listings l JOIN resale_purchases p ON p.listing_id = l.id
          WHERE p.id = ${payment.purchaseId} FOR UPDATE OF l, p`,
    );
    if (!row) throw new AppError("not_found", `No resale purchase ${payment.purchaseId}.`);
    const inserted = await queryOne<{ id: bigint }>(
      tx,
      sql`INSERT INTO resale_payments (purchase_id, provider, provider_ref, amount_minor, currency, status)
          VALUES (${payment.purchaseId}, 'epay', ${payment.providerRef}, ${payment.amountMinor}, ${row.currency}, 'accepted')
          ON CONFLICT (provider, provider_ref) DO NOTHING RETURNING id`,
    );
    if (!inserted) return "replayed" as const;
    const buyer = BigInt(row.buyer_account_id);
    const seller = BigInt(row.seller_account_id);
    const price = BigInt(row.price_minor);
    const reference = { type: "resale" as const, id: payment.purchaseId };
    // Money received from the buyer through the gateway, into the buyer's resale payments.
    await postJournal(tx, {
      idempotencyKey: `resale-purchase:${payment.purchaseId}:payment:${payment.providerRef}`,
      kind: "resale_payment",
      reference,
      metadata: { provider: "epay" },
      postings: [
        { account: { ownerType: "platform", ownerId: 0n, purpose: "clearing_epay" }, amountMinor: -price, currency: row.currency },
        { account: { ownerType: "buyer", ownerId: buyer, purpose: "payments" }, amountMinor: price, currency: row.currency },
      ],
    });
    const winner = await canSettle(tx, settings, row, payment.purchaseId);
    if (!winner) {
      await tx.execute(sql`UPDATE resale_payments SET status = 'refund_pending' WHERE id = ${inserted.id}`);
      await tx.execute(
        sql`UPDATE resale_purchases SET state = 'refund_pending', refund_reason = 'listing_unavailable'
            WHERE id = ${payment.purchaseId} AND state <> 'settled'`,
      );
      await postJournal(tx, {
        idempotencyKey: `resale-purchase:${payment.purchaseId}:refund:${payment.providerRef}`,
        kind: "resale_refund",
        reference,
        metadata: { reason: "listing_unavailable" },
        postings: [
          { account: { ownerType: "buyer", ownerId: buyer, purpose: "payments" }, amountMinor: -price, currency: row.currency },
          { account: { ownerType: "platform", ownerId: 0n, purpose: "refunds" }, amountMinor: price, currency: row.currency },
        ],
      });
      return "refund_pending" as const;
    }
    await tx.execute(sql`UPDATE resale_listings SET state = 'sold', closed_reason = 'sold', closed_at = now() WHERE id = ${row.listing_id}`);
    await tx.execute(sql`UPDATE resale_purchases SET state = 'settled', settled_at = now() WHERE id = ${payment.purchaseId}`);
    const moved = await queryOne<{ id: bigint }>(
      tx,
      sql`UPDATE entitlements SET owner_account_id = ${buyer} WHERE id = ${row.entitlement_id} AND owner_account_id = ${seller} AND state = 'sealed' RETURNING id`,
    );
    if (!moved) throw new Error(`resale invariant broken: entitlement ${row.entitlement_id} changed between the check and the transfer`);
    const royalty = await queryOne<{ royalty_bps: number }>(tx, sql`SELECT royalty_bps FROM products WHERE id = ${row.product_id}`);
    await postResale(tx, {
      listingId: String(row.listing_id),
      sellerAccountId: seller,
      buyerAccountId: buyer,
      shopId: BigInt(row.shop_id),
      priceMinor: price,
      currency: row.currency,
      royaltyBps: royalty!.royalty_bps,
      platformFeeBps: settings.platformFeeBps,
      ...(settings.holdSeconds > 0 ? { holdUntil: new Date(Date.now() + settings.holdSeconds * 1000) } : {}),
    });
    await tx.execute(
      sql`INSERT INTO custodial_transfers (entitlement_id, purchase_id, from_account_id, to_account_id, from_holder, to_holder)
          VALUES (${row.entitlement_id}, ${payment.purchaseId}, ${seller}, ${buyer},
                  ${Buffer.from(holderId(settings.holderSalt, seller).slice(2), "hex")}, ${Buffer.from(holderId(settings.holderSalt, buyer).slice(2), "hex")})`,
    );
    return "settled" as const;
  });
}

async function canSettle(tx: Drizzle, settings: SettleResaleSettings, row: Locked, purchaseId: string): Promise<boolean> {
  if (row.listing_state !== "active") return false;
  if (row.purchase_state !== "awaiting_payment" && row.purchase_state !== "expired") return false;
  // An expired checkout still wins if nobody else has taken the listing since.
  const other = await queryOne<{ id: string }>(
    tx,
    sql`SELECT id FROM resale_purchases WHERE listing_id = ${row.listing_id} AND state = 'awaiting_payment' AND id <> ${purchaseId} AND expires_at > now()`,
  );
  if (other) return false;
  const entitlement = await queryOne<{ ok: boolean }>(
    tx,
    sql`SELECT (e.state = 'sealed' AND e.owner_account_id = ${row.seller_account_id} AND ${inCustody(settings.custodian)}) AS ok
        FROM entitlements e WHERE e.id = ${row.entitlement_id} FOR UPDATE`,
  );
  return entitlement?.ok === true;
}
