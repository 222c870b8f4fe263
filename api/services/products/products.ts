// Products: what a shop sells. Prices are integer minor units with a currency. Stock is
// derived, never stored: available keys for automatic delivery (the partial index
// keys_available_idx makes the count cheap), manual_stock for manual delivery.
import { AppError } from "../../../core/errors.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { isShopManager } from "../shops/shops.ts";
import { assertListingChange } from "../docking/listings.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type ProductInput = {
  name: string;
  description?: string;
  category: string;
  priceMinor: bigint;
  currency: string;
  deliveryMode: "automatic" | "manual";
  quantityMin?: number;
  quantityMax?: number;
  lowStockThreshold?: number;
  resaleAllowed?: boolean;
  /** The content may be used by a renter (a shared account credential); never for one-time codes. */
  rentalAllowed?: boolean;
  royaltyBps?: number;
  manualStock?: number | null;
};

export type ProductView = {
  id: string;
  shopId: string;
  name: string;
  description: string;
  category: string;
  priceMinor: string;
  currency: string;
  deliveryMode: "automatic" | "manual";
  quantityMin: number;
  quantityMax: number;
  lowStockThreshold: number;
  resaleAllowed: boolean;
  rentalAllowed: boolean;
  royaltyBps: number;
  status: "active" | "paused";
  stock: number | null;
  lowStock: boolean;
  pendingKeys: number;
};

type ProductRow = {
  id: bigint;
  shop_id: bigint;
  name: string;
  description: string;
  category: string;
  price_minor: bigint;
  currency: string;
  delivery_mode: "automatic" | "manual";
  quantity_min: number;
  quantity_max: number;
  low_stock_threshold: number;
  resale_allowed: boolean;
  rental_allowed: boolean;
  royalty_bps: number;
  status: "active" | "paused";
  manual_stock: number | null;
  available: number | string;
  pending: number | string;
};

export function productView(row: ProductRow): ProductView {
  const stock = row.delivery_mode === "manual" ? row.manual_stock : Number(row.available);
  return {
    id: String(row.id),
    shopId: String(row.shop_id),
    name: row.name,
    description: row.description,
    category: row.category,
    priceMinor: String(row.price_minor),
    currency: row.currency,
    deliveryMode: row.delivery_mode,
    quantityMin: row.quantity_min,
    quantityMax: row.quantity_max,
    lowStockThreshold: row.low_stock_threshold,
    resaleAllowed: row.resale_allowed,
    rentalAllowed: row.rental_allowed,
    royaltyBps: row.royalty_bps,
    status: row.status,
    stock,
    lowStock: stock !== null && stock <= row.low_stock_threshold,
    pendingKeys: Number(row.pending),
  };
}

// Stock is read from product_stock, which triggers on keys keep exact (migration 0105): the
// storefront's most requested reads no longer count keys.
// A docked listing's stock is its supplier's product's free keys (docs/docking.md), while the
// supplier supplies it; none once the supply stopped or the supplier's product is paused. A
// listing that restocks automatically sells its own allocation (its own row), and a product's
// keys allocated to restocking listings are not its buyers' (available - allocated).
const productsWithStock = sql.raw(`p.*,
    CASE WHEN p.supply_product_id IS NULL OR (d.state = 'active' AND sp.status = 'active') THEN coalesce(s.available - s.allocated, 0) ELSE 0 END AS available,
    CASE WHEN p.supply_product_id IS NULL THEN coalesce(s.pending, 0) ELSE 0 END AS pending
  FROM products p LEFT JOIN docking_offers d ON d.product_id = p.supply_product_id LEFT JOIN products sp ON sp.id = d.product_id
  LEFT JOIN docking_restock_rules rr ON rr.listing_product_id = p.id AND rr.enabled
  LEFT JOIN product_stock s ON s.product_id = CASE WHEN rr.listing_product_id IS NULL THEN coalesce(p.supply_product_id, p.id) ELSE p.id END`);

export async function createProduct(db: Drizzle, shopId: bigint, input: ProductInput): Promise<ProductView> {
  assertQuantities(input.quantityMin ?? 1, input.quantityMax ?? 10);
  const row = await queryOne<{ id: bigint }>(
    db,
    sql`INSERT INTO products (shop_id, name, description, category, price_minor, currency, delivery_mode, quantity_min,
          quantity_max, low_stock_threshold, resale_allowed, rental_allowed, royalty_bps, manual_stock)
        VALUES (${shopId}, ${input.name}, ${input.description ?? ""}, ${input.category}, ${input.priceMinor}, ${input.currency},
          ${input.deliveryMode}, ${input.quantityMin ?? 1}, ${input.quantityMax ?? 10}, ${input.lowStockThreshold ?? 10},
          ${input.resaleAllowed ?? false}, ${input.rentalAllowed ?? false}, ${input.royaltyBps ?? 0}, ${input.manualStock ?? null})
        RETURNING id`,
  );
  return getProduct(db, row!.id);
}

export async function updateProduct(db: Drizzle, productId: bigint, changes: Partial<ProductInput> & { status?: "active" | "paused" }): Promise<ProductView> {
  const current = await getProduct(db, productId);
  await assertListingChange(db, productId, { priceMinor: changes.priceMinor, currency: changes.currency });
  assertQuantities(changes.quantityMin ?? current.quantityMin, changes.quantityMax ?? current.quantityMax);
  await db.execute(sql`UPDATE products SET
      name = ${changes.name ?? current.name},
      description = ${changes.description ?? current.description},
      category = ${changes.category ?? current.category},
      price_minor = ${changes.priceMinor ?? BigInt(current.priceMinor)},
      currency = ${changes.currency ?? current.currency},
      quantity_min = ${changes.quantityMin ?? current.quantityMin},
      quantity_max = ${changes.quantityMax ?? current.quantityMax},
      low_stock_threshold = ${changes.lowStockThreshold ?? current.lowStockThreshold},
      resale_allowed = ${changes.resaleAllowed ?? current.resaleAllowed},
      rental_allowed = ${changes.rentalAllowed ?? current.rentalAllowed},
      royalty_bps = ${changes.royaltyBps ?? current.royaltyBps},
      manual_stock = ${changes.manualStock === undefined ? (current.deliveryMode === "manual" ? current.stock : null) : changes.manualStock},
      status = ${changes.status ?? current.status},
      updated_at = now()
    WHERE id = ${productId}`);
  return getProduct(db, productId);
}

export async function getProduct(db: Drizzle, productId: bigint): Promise<ProductView> {
  const row = await queryOne<ProductRow>(db, sql`SELECT ${productsWithStock} WHERE p.id = ${productId}`);
  if (!row) throw new AppError("not_found", `No product ${productId}.`);
  return productView(row);
}

/**
 * A product as the storefront shows it by id: a paused one exists only for its shop's merchant
 * (and admins), as in the shop's list; anyone else gets the same 404 as for an id never used,
 * so a paused product's name, price and stock are not readable by counting ids.
 */
export async function getListedProduct(db: Drizzle, productId: bigint, viewer: AuthenticatedAccount | undefined): Promise<ProductView> {
  const product = await getProduct(db, productId);
  if (product.status === "active" || (await isShopManager(db, BigInt(product.shopId), viewer))) return product;
  throw new AppError("not_found", `No product ${productId}.`);
}

export async function listProducts(db: Drizzle, shopId: bigint, options: { includePaused: boolean; category?: string }): Promise<ProductView[]> {
  const rows = await queryRows<ProductRow>(
    db,
    sql`SELECT ${productsWithStock}
        WHERE p.shop_id = ${shopId}
          ${options.includePaused ? sql`` : sql`AND p.status = 'active'`}
          ${options.category ? sql`AND p.category = ${options.category}` : sql``}
        ORDER BY p.id LIMIT 500`,
  );
  return rows.map(productView);
}

function assertQuantities(min: number, max: number): void {
  if (max < min) {
    throw new AppError("validation_failed", `quantityMax (${max}) must be at least quantityMin (${min}).`, {
      details: [{ path: "quantityMax", message: "must be >= quantityMin" }],
    });
  }
}
