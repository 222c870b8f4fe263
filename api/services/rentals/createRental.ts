// A renter's checkout of a rental offer for a number of days within the offer's bounds. It
// reserves the offer until the checkout expires, under the offer's row lock, so of two renters
// racing exactly one gets the checkout and the other is refused before paying (conflict). The
// same renter asking again gets the same open checkout. Payment goes through the platform's own
// EPay merchant (the resale merchant), to its own notification route.
import { randomBytes } from "node:crypto";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { platformEpayUrl, type ResaleEpayMerchant } from "../resale/resalePayments.ts";

export type RentalView = {
  id: string;
  listingId: string;
  entitlementId: string;
  days: number;
  priceMinor: string;
  currency: string;
  state: string;
  expiresAt: string;
  startsAt: string | null;
  endsAt: string | null;
  chainState: string | null;
  paymentUrl: string;
};

export type RentalRow = {
  id: string;
  listing_id: bigint;
  entitlement_id: bigint;
  renter_account_id: bigint;
  days: number;
  price_minor: bigint;
  currency: string;
  state: string;
  expires_at: Date;
  starts_at: Date | null;
  ends_at: Date | null;
  chain_state: string | null;
};

export type RentalPaymentSettings = { merchant: ResaleEpayMerchant; apiBaseUrl: string };

export async function createRental(
  db: Drizzle,
  settings: RentalPaymentSettings & { expirySeconds: number },
  parameters: { renterAccountId: bigint; listingId: bigint; days: number },
): Promise<RentalView> {
  const row = await db.transaction(async (tx) => {
    const listing = await queryOne<{
      state: string;
      owner_account_id: bigint;
      entitlement_id: bigint;
      price_per_day_minor: bigint;
      currency: string;
      min_days: number;
      max_days: number;
    }>(
      tx,
      sql`SELECT state, owner_account_id, entitlement_id, price_per_day_minor, currency, min_days, max_days
          FROM rental_listings WHERE id = ${parameters.listingId} FOR UPDATE`,
    );
    if (!listing) throw new AppError("not_found", `No rental offer ${parameters.listingId}.`);
    if (listing.state !== "active")
      throw new AppError("invalid_state", `Rental offer ${parameters.listingId} is ${listing.state}; it can no longer be rented.`);
    if (BigInt(listing.owner_account_id) === parameters.renterAccountId) throw new AppError("invalid_state", "You cannot rent your own entitlement.");
    if (parameters.days < listing.min_days || parameters.days > listing.max_days) {
      throw new AppError("validation_failed", `This offer rents for ${listing.min_days} to ${listing.max_days} days; ${parameters.days} is outside the term.`);
    }
    await tx.execute(
      sql`UPDATE rentals SET state = 'expired' WHERE listing_id = ${parameters.listingId} AND state = 'awaiting_payment' AND expires_at <= now()`,
    );
    const open = await queryOne<RentalRow>(tx, sql`SELECT * FROM rentals WHERE listing_id = ${parameters.listingId} AND state = 'awaiting_payment'`);
    if (open) {
      if (BigInt(open.renter_account_id) === parameters.renterAccountId) return open;
      throw new AppError("conflict", `Rental offer ${parameters.listingId} is in another renter's checkout until ${new Date(open.expires_at).toISOString()}.`, {
        retryable: true,
      });
    }
    const id = `RT${Date.now().toString(36).toUpperCase()}${randomBytes(5).toString("hex").toUpperCase()}`;
    const price = BigInt(listing.price_per_day_minor) * BigInt(parameters.days);
    return (await queryOne<RentalRow>(
      tx,
      sql`INSERT INTO rentals (id, listing_id, entitlement_id, owner_account_id, renter_account_id, days, price_minor, currency, expires_at)
          VALUES (${id}, ${parameters.listingId}, ${listing.entitlement_id}, ${listing.owner_account_id}, ${parameters.renterAccountId},
                  ${parameters.days}, ${price}, ${listing.currency}, now() + make_interval(secs => ${settings.expirySeconds}))
          RETURNING *`,
    ))!;
  });
  return rentalView(row, settings);
}

/** The renter's own rental (not_found for anyone else). */
export async function getRental(db: Drizzle, settings: RentalPaymentSettings, parameters: { rentalId: string; renterAccountId: bigint }): Promise<RentalView> {
  const row = await queryOne<RentalRow>(db, sql`SELECT * FROM rentals WHERE id = ${parameters.rentalId} AND renter_account_id = ${parameters.renterAccountId}`);
  if (!row) throw new AppError("not_found", `You have no rental ${parameters.rentalId}.`);
  return rentalView(row, settings);
}

export function rentalView(row: RentalRow, settings: RentalPaymentSettings): RentalView {
  const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);
  return {
    id: row.id,
    listingId: String(row.listing_id),
    entitlementId: String(row.entitlement_id),
    days: row.days,
    priceMinor: String(row.price_minor),
    currency: row.currency,
    state: row.state,
    expiresAt: new Date(row.expires_at).toISOString(),
    startsAt: iso(row.starts_at),
    endsAt: iso(row.ends_at),
    chainState: row.chain_state,
    paymentUrl: platformEpayUrl(settings, {
      outTradeNo: row.id,
      notifyPath: "/api/rentals/payments/epay/notify",
      returnPath: `/rentals/${row.id}`,
      name: `Keyledger rental ${row.listing_id}`,
      amountMinor: BigInt(row.price_minor),
    }),
  };
}
