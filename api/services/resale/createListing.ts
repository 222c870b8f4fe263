// An owner lists a sealed entitlement of a resale-allowed product at a price in the product's
// currency. Refusals write nothing: not yours or not in custody (not_found), revealed or
// revoked (invalid_state: a seen code can never be resold), resale not allowed (forbidden),
// another currency (validation_failed), already listed (conflict).
import { AppError } from "../../../core/errors.ts";
import { recordAudit } from "../audit.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { inCustody } from "./custody.ts";
import { refuseWhileRented } from "../rentals/runningRental.ts";

export type CreateListingParameters = { accountId: bigint; entitlementId: bigint; priceMinor: bigint; currency: string };
export type Listing = { id: string; entitlementId: string; productId: string; priceMinor: string; currency: string; state: string; createdAt: string };

export async function createListing(
  db: Drizzle,
  settings: { custodian: string | undefined; royaltyReceiverFallback: string | undefined; now: Date },
  parameters: CreateListingParameters,
): Promise<Listing> {
  return db.transaction(async (tx) => {
    const entitlement = await queryOne<{
      id: bigint;
      state: string;
      shop_id: bigint;
      product_id: bigint;
      batch_id: bigint;
      in_custody: boolean;
      owner_account_id: bigint | null;
      resale_allowed: boolean;
      currency: string;
      royalty_bps: number;
      issuer_address: string | null;
    }>(
      tx,
      sql`SELECT e.id, e.state, e.shop_id, e.product_id, e.batch_id, e.owner_account_id, ${inCustody(settings.custodian)} AS in_custody,
                 p.resale_allowed, p.currency, p.royalty_bps, s.issuer_address
          FROM entitlements e JOIN products p ON p.id = e.product_id JOIN shops s ON s.id = e.shop_id
          WHERE e.id = ${parameters.entitlementId} FOR UPDATE OF e`,
    );
    if (!entitlement || entitlement.owner_account_id === null || BigInt(entitlement.owner_account_id) !== parameters.accountId || !entitlement.in_custody) {
      throw new AppError("not_found", `You hold no entitlement ${parameters.entitlementId} in custody (a token in your wallet must be deposited first).`);
    }
    if (entitlement.state !== "sealed") {
      throw new AppError(
        "invalid_state",
        `Entitlement ${parameters.entitlementId} is ${entitlement.state}: only sealed entitlements can be listed; a revealed code can never be resold.`,
      );
    }
    if (!entitlement.resale_allowed) throw new AppError("forbidden", "This product's merchant does not allow resale.");
    if (parameters.currency !== entitlement.currency) {
      throw new AppError("validation_failed", `The price must be in the product's currency, ${entitlement.currency}.`);
    }
    await refuseWhileRented(tx, entitlement.id, settings.now);
    const offered = await queryOne<{ id: bigint }>(tx, sql`SELECT id FROM rental_listings WHERE entitlement_id = ${entitlement.id} AND state = 'active'`);
    if (offered) throw new AppError("conflict", `Entitlement ${parameters.entitlementId} is offered for rent; cancel that offer before listing it for sale.`);
    const listing = await queryOne<{ id: bigint; created_at: Date }>(
      tx,
      sql`INSERT INTO resale_listings (entitlement_id, seller_account_id, shop_id, product_id, price_minor, currency)
          VALUES (${entitlement.id}, ${parameters.accountId}, ${entitlement.shop_id}, ${entitlement.product_id}, ${parameters.priceMinor}, ${parameters.currency})
          ON CONFLICT (entitlement_id) WHERE state = 'active' DO NOTHING
          RETURNING id, created_at`,
    );
    if (!listing) throw new AppError("conflict", `Entitlement ${parameters.entitlementId} is already listed; cancel that listing first.`);
    // ERC-2981: the batch's royalty goes on-chain before its first resale record.
    const receiver = entitlement.issuer_address ?? settings.royaltyReceiverFallback;
    if (entitlement.royalty_bps > 0 && receiver) {
      await tx.execute(
        sql`INSERT INTO batch_royalties (batch_id, receiver, basis_points) VALUES (${entitlement.batch_id}, ${receiver.toLowerCase()}, ${entitlement.royalty_bps})
            ON CONFLICT (batch_id) DO NOTHING`,
      );
    }
    await recordAudit(tx, {
      accountId: parameters.accountId,
      action: "resale.list",
      subject: `entitlement:${entitlement.id}`,
      details: { listingId: String(listing.id), priceMinor: String(parameters.priceMinor), currency: parameters.currency },
    });
    return {
      id: String(listing.id),
      entitlementId: String(entitlement.id),
      productId: String(entitlement.product_id),
      priceMinor: String(parameters.priceMinor),
      currency: parameters.currency,
      state: "active",
      createdAt: new Date(listing.created_at).toISOString(),
    };
  });
}
