// The reseller's side of docking (docs/docking.md): listing a supplier's offered product in the
// reseller's own shop, under its own title and at its own retail price (above the wholesale).
// The listing is a product row with no keys of its own: supply_product_id names the supplier's
// product, whose keys its checkout reserves.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { pgConstraint, pgErrorCode, pgErrorCodes } from "../../../core/store/errors.ts";
import { recordAudit } from "../audit.ts";

export type ListingView = {
  productId: string;
  supplyProductId: string;
  supplierShopId: string;
  name: string;
  priceMinor: string;
  wholesalePriceMinor: string;
  currency: string;
  offerState: "active" | "stopped";
};

type OfferForListing = {
  shop_id: bigint;
  owner_account_id: bigint;
  wholesale_price_minor: bigint;
  state: "active" | "stopped";
  status: "active" | "paused";
  description: string;
  category: string;
  currency: string;
  quantity_min: number;
  quantity_max: number;
  resale_allowed: boolean;
  royalty_bps: number;
};

/** Whether a retail price may be asked for a product whose wholesale is `wholesaleMinor`: strictly above it. */
export function assertAboveWholesale(priceMinor: bigint, wholesaleMinor: bigint, what: string): void {
  if (priceMinor <= wholesaleMinor) {
    throw new AppError("docking_price_too_low", `${what} (${priceMinor}) must be above the supplier's wholesale price (${wholesaleMinor}).`, {
      details: [{ path: "priceMinor", message: `more than ${wholesaleMinor}` }],
    });
  }
}

/**
 * Lists the supplier's offered product in the reseller's shop. Refused, writing nothing: an
 * unknown product (404), one not offered, stopped or paused (docking_offer_unavailable), a
 * product of the reseller's own (same shop, or a shop of the same owner: docking_own_product),
 * a price at or below the wholesale (docking_price_too_low), a second listing of it (conflict).
 */
export async function createListing(
  db: Drizzle,
  parameters: { shopId: bigint; supplyProductId: bigint; name: string; priceMinor: bigint; accountId: bigint },
): Promise<ListingView> {
  const { shopId, supplyProductId, name, priceMinor } = parameters;
  try {
    return await db.transaction(async (tx) => {
      // FOR SHARE: a stop or a new wholesale price waits until this listing is in (or not).
      const offer = await queryOne<OfferForListing>(
        tx,
        sql`SELECT d.shop_id, s.owner_account_id, d.wholesale_price_minor, d.state, p.status, p.description, p.category, p.currency,
                   p.quantity_min, p.quantity_max, p.resale_allowed, p.royalty_bps
            FROM products p JOIN shops s ON s.id = p.shop_id LEFT JOIN docking_offers d ON d.product_id = p.id
            WHERE p.id = ${supplyProductId} FOR SHARE OF p`,
      );
      if (!offer) throw new AppError("not_found", `No product ${supplyProductId}.`);
      const reseller = await queryOne<{ owner_account_id: bigint }>(tx, sql`SELECT owner_account_id FROM shops WHERE id = ${shopId}`);
      if (BigInt(offer.owner_account_id) === BigInt(reseller!.owner_account_id)) {
        throw new AppError("docking_own_product", "This product is your own; sell it from its shop instead of docking it.");
      }
      if (offer.shop_id === null || offer.state !== "active" || offer.status !== "active") {
        throw new AppError("docking_offer_unavailable", `Product ${supplyProductId} is not offered for docking now (not offered, stopped or paused).`);
      }
      assertAboveWholesale(priceMinor, BigInt(offer.wholesale_price_minor), "priceMinor");
      const created = await queryOne<{ id: bigint }>(
        tx,
        sql`INSERT INTO products (shop_id, name, description, category, price_minor, currency, delivery_mode, quantity_min, quantity_max,
              resale_allowed, royalty_bps, supply_product_id)
            VALUES (${shopId}, ${name}, ${offer.description}, ${offer.category}, ${priceMinor}, ${offer.currency}, 'automatic',
              ${offer.quantity_min}, ${offer.quantity_max}, ${offer.resale_allowed}, ${offer.royalty_bps}, ${supplyProductId})
            RETURNING id`,
      );
      await recordAudit(tx, {
        accountId: parameters.accountId,
        action: "docking.list",
        subject: `product:${created!.id}`,
        details: { shopId: String(shopId), supplyProductId: String(supplyProductId), priceMinor: String(priceMinor) },
      });
      return (await listingsWhere(tx, sql`p.id = ${created!.id}`))[0]!;
    });
  } catch (error) {
    if (pgErrorCode(error) === pgErrorCodes.uniqueViolation && pgConstraint(error) === "products_supply_listing_key") {
      throw new AppError("conflict", `Your shop already lists product ${supplyProductId}; change that listing's title or price instead.`);
    }
    throw error;
  }
}

/** The shop's docked listings with their offers' state (its reseller view). */
export async function listShopListings(db: Drizzle, shopId: bigint): Promise<ListingView[]> {
  return listingsWhere(db, sql`p.shop_id = ${shopId}`);
}

async function listingsWhere(db: Drizzle, where: ReturnType<typeof sql>): Promise<ListingView[]> {
  const rows = await queryRows<{
    id: bigint;
    supply_product_id: bigint;
    supplier_shop_id: bigint;
    name: string;
    price_minor: bigint;
    wholesale_price_minor: bigint;
    currency: string;
    state: "active" | "stopped";
  }>(
    db,
    sql`SELECT p.id, p.supply_product_id, d.shop_id AS supplier_shop_id, p.name, p.price_minor, d.wholesale_price_minor, p.currency, d.state
        FROM products p JOIN docking_offers d ON d.product_id = p.supply_product_id
        WHERE ${where} ORDER BY p.id DESC LIMIT 1000`,
  );
  return rows.map((row) => ({
    productId: String(row.id),
    supplyProductId: String(row.supply_product_id),
    supplierShopId: String(row.supplier_shop_id),
    name: row.name,
    priceMinor: String(row.price_minor),
    wholesalePriceMinor: String(row.wholesale_price_minor),
    currency: row.currency,
    offerState: row.state,
  }));
}

/**
 * A change of a listing's price or currency (the product update): the price stays above the
 * wholesale and the currency stays the supplier's. Products that are not listings pass.
 */
export async function assertListingChange(db: Drizzle, productId: bigint, changes: { priceMinor?: bigint; currency?: string }): Promise<void> {
  if (changes.priceMinor === undefined && changes.currency === undefined) return;
  const offer = await queryOne<{ wholesale_price_minor: bigint; currency: string }>(
    db,
    sql`SELECT d.wholesale_price_minor, sp.currency FROM products p JOIN docking_offers d ON d.product_id = p.supply_product_id
        JOIN products sp ON sp.id = d.product_id WHERE p.id = ${productId}`,
  );
  if (!offer) return;
  if (changes.currency !== undefined && changes.currency !== offer.currency) {
    throw new AppError("validation_failed", `A docked listing is priced in its supplier's currency (${offer.currency}).`, { details: [{ path: "currency" }] });
  }
  if (changes.priceMinor !== undefined) assertAboveWholesale(changes.priceMinor, BigInt(offer.wholesale_price_minor), "priceMinor");
}
