// A buyer's checkout of a listing. It reserves the listing until it expires, under the
// listing's row lock, so of two buyers racing exactly one gets the checkout and the other is
// refused before paying (conflict): the loser is never charged. The same buyer asking again
// gets the same open checkout. Payment goes through the platform's own EPay merchant.
import { randomBytes } from "node:crypto";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { platformEpayUrl, type ResaleEpayMerchant } from "./resalePayments.ts";

export type ResalePurchase = { id: string; listingId: string; priceMinor: string; currency: string; state: string; expiresAt: string; paymentUrl: string };

type PurchaseRow = { id: string; listing_id: bigint; buyer_account_id: bigint; price_minor: bigint; currency: string; state: string; expires_at: Date };

export async function createPurchase(
  db: Drizzle,
  settings: { expirySeconds: number; merchant: ResaleEpayMerchant; apiBaseUrl: string },
  parameters: { buyerAccountId: bigint; listingId: bigint },
): Promise<ResalePurchase> {
  const row = await db.transaction(async (tx) => {
    const listing = await queryOne<{ state: string; seller_account_id: bigint; price_minor: bigint; currency: string }>(
      tx,
      sql`SELECT state, seller_account_id, price_minor, currency FROM resale_listings WHERE id = ${parameters.listingId} FOR UPDATE`,
    );
    if (!listing) throw new AppError("not_found", `No listing ${parameters.listingId}.`);
    if (listing.state !== "active") throw new AppError("invalid_state", `Listing ${parameters.listingId} is ${listing.state}; it can no longer be bought.`);
    if (BigInt(listing.seller_account_id) === parameters.buyerAccountId) throw new AppError("invalid_state", "You cannot buy your own listing.");
    await tx.execute(
      sql`UPDATE resale_purchases SET state = 'expired' WHERE listing_id = ${parameters.listingId} AND state = 'awaiting_payment' AND expires_at <= now()`,
    );
    const open = await queryOne<PurchaseRow>(tx, sql`SELECT * FROM resale_purchases WHERE listing_id = ${parameters.listingId} AND state = 'awaiting_payment'`);
    if (open) {
      if (BigInt(open.buyer_account_id) === parameters.buyerAccountId) return open;
      throw new AppError("conflict", `Listing ${parameters.listingId} is in another buyer's checkout until ${new Date(open.expires_at).toISOString()}.`, {
        retryable: true,
      });
    }
    const id = `RS${Date.now().toString(36).toUpperCase()}${randomBytes(5).toString("hex").toUpperCase()}`;
    return (await queryOne<PurchaseRow>(
      tx,
      sql`INSERT INTO resale_purchases (id, listing_id, buyer_account_id, price_minor, currency, expires_at)
          VALUES (${id}, ${parameters.listingId}, ${parameters.buyerAccountId}, ${listing.price_minor}, ${listing.currency},
                  now() + make_interval(secs => ${settings.expirySeconds}))
          RETURNING *`,
    ))!;
  });
  return purchaseView(row, settings);
}

export function purchaseView(row: PurchaseRow, settings: { merchant: ResaleEpayMerchant; apiBaseUrl: string }): ResalePurchase {
  return {
    id: row.id,
    listingId: String(row.listing_id),
    priceMinor: String(row.price_minor),
    currency: row.currency,
    state: row.state,
    expiresAt: new Date(row.expires_at).toISOString(),
    paymentUrl: platformEpayUrl(settings, {
      outTradeNo: row.id,
      notifyPath: "/api/resale/payments/epay/notify",
      returnPath: `/resale/purchases/${row.id}`,
      name: `Keyledger resale ${row.listing_id}`,
      amountMinor: BigInt(row.price_minor),
    }),
  };
}
