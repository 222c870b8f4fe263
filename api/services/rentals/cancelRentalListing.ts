// The owner withdraws an active rental offer. A checkout already open for it is not charged: its
// payment, if it still arrives, takes the refund path (settleRentalPayment).
import { AppError } from "../../../core/errors.ts";
import { recordAudit } from "../audit.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export async function cancelRentalListing(db: Drizzle, parameters: { accountId: bigint; listingId: bigint }): Promise<{ id: string; state: "cancelled" }> {
  return db.transaction(async (tx) => {
    const listing = await queryOne<{ state: string; owner_account_id: bigint }>(
      tx,
      sql`SELECT state, owner_account_id FROM rental_listings WHERE id = ${parameters.listingId} FOR UPDATE`,
    );
    if (!listing || BigInt(listing.owner_account_id) !== parameters.accountId)
      throw new AppError("not_found", `You have no rental offer ${parameters.listingId}.`);
    if (listing.state !== "active") throw new AppError("invalid_state", `Rental offer ${parameters.listingId} is ${listing.state}, not active.`);
    await tx.execute(sql`UPDATE rental_listings SET state = 'cancelled', closed_at = now() WHERE id = ${parameters.listingId}`);
    await recordAudit(tx, { accountId: parameters.accountId, action: "rental.cancel", subject: `rental_listing:${parameters.listingId}` });
    return { id: String(parameters.listingId), state: "cancelled" as const };
  });
}
