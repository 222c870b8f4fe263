// The seller withdraws an active listing. A checkout already open for it is not charged: its
// payment, if it still arrives, takes the refund path (settleResalePayment).
import { AppError } from "../../../core/errors.ts";
import { recordAudit } from "../audit.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export async function cancelListing(db: Drizzle, parameters: { accountId: bigint; listingId: bigint }): Promise<{ id: string; state: "cancelled" }> {
  return db.transaction(async (tx) => {
    const listing = await queryOne<{ state: string; seller_account_id: bigint }>(
      tx,
      sql`SELECT state, seller_account_id FROM resale_listings WHERE id = ${parameters.listingId} FOR UPDATE`,
    );
    if (!listing || BigInt(listing.seller_account_id) !== parameters.accountId) throw new AppError("not_found", `You have no listing ${parameters.listingId}.`);
    if (listing.state !== "active") throw new AppError("invalid_state", `Listing ${parameters.listingId} is ${listing.state}, not active.`);
    await tx.execute(sql`UPDATE resale_listings SET state = 'cancelled', closed_reason = 'seller', closed_at = now() WHERE id = ${parameters.listingId}`);
    await recordAudit(tx, { accountId: parameters.accountId, action: "resale.cancel", subject: `listing:${parameters.listingId}` });
    return { id: String(parameters.listingId), state: "cancelled" as const };
  });
}
