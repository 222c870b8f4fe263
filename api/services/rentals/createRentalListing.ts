// An owner offers a sealed entitlement for rent: a price per day in the product's currency, a
// minimum and a maximum term in days. Refusals write nothing: not yours or not in custody
// (not_found), revealed or revoked (invalid_state), the product does not allow rental use or
// resale (forbidden: one-time codes are never rentable), another currency or bad bounds
// (validation_failed), listed for resale or already offered for rent (conflict), rented right
// now (invalid_state). The first offer of an entitlement queues its on-chain enableRental.
import { AppError } from "../../../core/errors.ts";
import { recordAudit } from "../audit.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { inCustody } from "../resale/custody.ts";
import { lockActiveListing } from "../resale/lockActiveListing.ts";
import { refuseWhileRented } from "./runningRental.ts";

export type CreateRentalListingParameters = {
  accountId: bigint;
  entitlementId: bigint;
  pricePerDayMinor: bigint;
  currency: string;
  minDays: number;
  maxDays: number;
};

export type RentalListing = {
  id: string;
  entitlementId: string;
  productId: string;
  pricePerDayMinor: string;
  currency: string;
  minDays: number;
  maxDays: number;
  state: string;
  createdAt: string;
};

export const rentalDaysMax = 365;

export async function createRentalListing(
  db: Drizzle,
  settings: { custodian: string | undefined; now: Date },
  parameters: CreateRentalListingParameters,
): Promise<RentalListing> {
  if (parameters.minDays < 1 || parameters.maxDays > rentalDaysMax || parameters.minDays > parameters.maxDays) {
    throw new AppError("validation_failed", `The term must be 1 to ${rentalDaysMax} days with minDays <= maxDays.`);
  }
  return db.transaction(async (tx) => {
    if (await lockActiveListing(tx, parameters.entitlementId)) {
      throw new AppError("conflict", `Entitlement ${parameters.entitlementId} is listed for resale; cancel that listing before renting it out.`);
    }
    const entitlement = await queryOne<{
      id: bigint;
      state: string;
      shop_id: bigint;
      product_id: bigint;
      in_custody: boolean;
      owner_account_id: bigint | null;
      resale_allowed: boolean;
      rental_allowed: boolean;
      currency: string;
    }>(
      tx,
      sql`SELECT e.id, e.state, e.shop_id, e.product_id, e.owner_account_id, ${inCustody(settings.custodian)} AS in_custody,
                 p.resale_allowed, p.rental_allowed, p.currency
          FROM entitlements e JOIN products p ON p.id = e.product_id
          WHERE e.id = ${parameters.entitlementId} FOR UPDATE OF e`,
    );
    if (!entitlement || entitlement.owner_account_id === null || BigInt(entitlement.owner_account_id) !== parameters.accountId || !entitlement.in_custody) {
      throw new AppError("not_found", `You hold no entitlement ${parameters.entitlementId} in custody.`);
    }
    if (entitlement.state !== "sealed") {
      throw new AppError("invalid_state", `Entitlement ${parameters.entitlementId} is ${entitlement.state}: only sealed entitlements can be rented out.`);
    }
    if (!entitlement.rental_allowed || !entitlement.resale_allowed) {
      throw new AppError("forbidden", "This product's merchant does not allow rental use (one-time codes are never rentable).");
    }
    if (parameters.currency !== entitlement.currency) {
      throw new AppError("validation_failed", `The price must be in the product's currency, ${entitlement.currency}.`);
    }
    await refuseWhileRented(tx, entitlement.id, settings.now);
    const listing = await queryOne<{ id: bigint; created_at: Date }>(
      tx,
      sql`INSERT INTO rental_listings (entitlement_id, owner_account_id, shop_id, product_id, price_per_day_minor, currency, min_days, max_days)
          VALUES (${entitlement.id}, ${parameters.accountId}, ${entitlement.shop_id}, ${entitlement.product_id}, ${parameters.pricePerDayMinor},
                  ${parameters.currency}, ${parameters.minDays}, ${parameters.maxDays})
          ON CONFLICT (entitlement_id) WHERE state = 'active' DO NOTHING
          RETURNING id, created_at`,
    );
    if (!listing) throw new AppError("conflict", `Entitlement ${parameters.entitlementId} is already offered for rent; cancel that offer first.`);
    await tx.execute(sql`UPDATE entitlements SET rental_chain_state = 'pending' WHERE id = ${entitlement.id} AND rental_chain_state IS NULL`);
    await recordAudit(tx, {
      accountId: parameters.accountId,
      action: "rental.list",
      subject: `entitlement:${entitlement.id}`,
      details: {
        listingId: String(listing.id),
        pricePerDayMinor: String(parameters.pricePerDayMinor),
        minDays: parameters.minDays,
        maxDays: parameters.maxDays,
      },
    });
    return {
      id: String(listing.id),
      entitlementId: String(entitlement.id),
      productId: String(entitlement.product_id),
      pricePerDayMinor: String(parameters.pricePerDayMinor),
      currency: parameters.currency,
      minDays: parameters.minDays,
      maxDays: parameters.maxDays,
      state: "active",
      createdAt: new Date(listing.created_at).toISOString(),
    };
  });
}
