// The supplier's side of docking (docs/docking.md): offering a product to resellers at a
// wholesale unit price, stopping (and resuming) the supply, and the offers resellers browse.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";
import { releaseSupplyAllocations, restockSupplyListings } from "./restock.ts";

export type OfferView = {
  productId: string;
  supplierShopId: string;
  supplierShopName: string;
  productName: string;
  category: string;
  currency: string;
  wholesalePriceMinor: string;
  listPriceMinor: string;
  state: "active" | "stopped";
  stock: number;
};

type OfferRow = {
  product_id: bigint;
  shop_id: bigint;
  shop_name: string;
  product_name: string;
  category: string;
  currency: string;
  wholesale_price_minor: bigint;
  price_minor: bigint;
  state: "active" | "stopped";
  available: number | string;
};

function offerView(row: OfferRow): OfferView {
  return {
    productId: String(row.product_id),
    supplierShopId: String(row.shop_id),
    supplierShopName: row.shop_name,
    productName: row.product_name,
    category: row.category,
    currency: row.currency,
    wholesalePriceMinor: String(row.wholesale_price_minor),
    listPriceMinor: String(row.price_minor),
    state: row.state,
    stock: Number(row.available),
  };
}

const offersWithStock = sql`SELECT d.product_id, d.shop_id, s.name AS shop_name, p.name AS product_name, p.category, p.currency,
                                   d.wholesale_price_minor, p.price_minor, d.state, coalesce(st.available - st.allocated, 0) AS available
                            FROM docking_offers d JOIN products p ON p.id = d.product_id JOIN shops s ON s.id = d.shop_id
                            LEFT JOIN product_stock st ON st.product_id = d.product_id`;

/**
 * Offers (or re-offers, with a new wholesale price) one of the shop's own automatic products.
 * A docked listing cannot be offered on: docking is one level deep, supplier to reseller.
 */
export async function offerProduct(
  db: Drizzle,
  parameters: { shopId: bigint; productId: bigint; wholesalePriceMinor: bigint; accountId: bigint },
): Promise<OfferView> {
  const { shopId, productId, wholesalePriceMinor } = parameters;
  if (wholesalePriceMinor < 1n) throw new AppError("validation_failed", "wholesalePriceMinor must be at least 1 minor unit.");
  return db.transaction(async (tx) => {
    const product = await queryOne<{ shop_id: bigint; delivery_mode: string; status: string; supply_product_id: bigint | null }>(
      tx,
      sql`SELECT shop_id, delivery_mode, status, supply_product_id FROM products WHERE id = ${productId} FOR UPDATE`,
    );
    if (!product || BigInt(product.shop_id) !== shopId) throw new AppError("not_found", `No product ${productId} in shop ${shopId}.`);
    if (product.supply_product_id !== null) {
      throw new AppError("docking_offer_unavailable", "This product is itself a docked listing; only the supplier of its keys can offer it.");
    }
    if (product.delivery_mode !== "automatic") {
      throw new AppError("docking_offer_unavailable", "Only automatic-delivery products (sold from imported keys) can be offered for docking.");
    }
    if (product.status !== "active") throw new AppError("docking_offer_unavailable", "This product is paused; resume it before offering it for docking.");
    await tx.execute(
      sql`INSERT INTO docking_offers (product_id, shop_id, wholesale_price_minor) VALUES (${productId}, ${shopId}, ${wholesalePriceMinor})
          ON CONFLICT (product_id) DO UPDATE SET wholesale_price_minor = excluded.wholesale_price_minor, state = 'active', updated_at = now()`,
    );
    // A resumed supply tops up the listings that restock automatically (their allocations were released at the stop).
    await restockSupplyListings(tx, productId);
    await recordAudit(tx, {
      accountId: parameters.accountId,
      action: "docking.offer",
      subject: `product:${productId}`,
      details: { shopId: String(shopId), wholesalePriceMinor: String(wholesalePriceMinor) },
    });
    return readOffer(tx, productId);
  });
}

/**
 * Stops supplying: resellers take no new orders of the product from now on. Their open orders
 * keep the keys they reserved and complete, or are refunded (docs/docking.md).
 */
export async function stopSupplying(db: Drizzle, parameters: { shopId: bigint; productId: bigint; accountId: bigint }): Promise<OfferView> {
  return db.transaction(async (tx) => {
    const stopped = await queryOne<{ product_id: bigint }>(
      tx,
      sql`UPDATE docking_offers SET state = 'stopped', updated_at = now()
          WHERE product_id = ${parameters.productId} AND shop_id = ${parameters.shopId} RETURNING product_id`,
    );
    if (!stopped) throw new AppError("not_found", `Shop ${parameters.shopId} offers no product ${parameters.productId} for docking.`);
    // Keys allocated to restocking listings go back to the supplier's free stock (reserved ones once their orders expire).
    await releaseSupplyAllocations(tx, parameters.productId);
    await recordAudit(tx, {
      accountId: parameters.accountId,
      action: "docking.stop",
      subject: `product:${parameters.productId}`,
      details: { shopId: String(parameters.shopId) },
    });
    return readOffer(tx, parameters.productId);
  });
}

async function readOffer(db: Drizzle, productId: bigint): Promise<OfferView> {
  const row = await queryOne<OfferRow>(db, sql`${offersWithStock} WHERE d.product_id = ${productId}`);
  return offerView(row!);
}

/** Active offers of active products that resellers can list, newest product first (keyset by product id). */
export async function listActiveOffers(
  db: Drizzle,
  options: { limit: number; beforeProductId?: bigint },
): Promise<{ items: OfferView[]; nextCursor: string | null }> {
  const rows = await queryRows<OfferRow>(
    db,
    sql`${offersWithStock}
        WHERE d.state = 'active' AND p.status = 'active'
          ${options.beforeProductId === undefined ? sql`` : sql`AND d.product_id < ${options.beforeProductId}`}
        ORDER BY d.product_id DESC LIMIT ${options.limit + 1}`,
  );
  const items = rows.slice(0, options.limit).map(offerView);
  return { items, nextCursor: rows.length > options.limit ? items.at(-1)!.productId : null };
}

/** The shop's own offers, in any state (its supplier view). */
export async function listShopOffers(db: Drizzle, shopId: bigint): Promise<OfferView[]> {
  // Bounded: one row per product of the shop.
  const rows = await queryRows<OfferRow>(db, sql`${offersWithStock} WHERE d.shop_id = ${shopId} ORDER BY d.product_id DESC LIMIT 1000`);
  return rows.map(offerView);
}
