// A merchant's group offer on a product (docs/groupbuy.md): a group price for N buyers within T
// hours. One offer per product, replaced whole and audited. The group price must be below the
// product's price (a "group price" above it is a mistake the API refuses), and only automatic
// products take one: a member's key is reserved at checkout and held until the group fills.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { auditedChange } from "../audit.ts";

export type GroupOfferInput = { priceMinor: bigint; size: number; windowHours: number; active: boolean };

export type GroupOfferView = {
  productId: string;
  priceMinor: string;
  listPriceMinor: string;
  currency: string;
  size: number;
  windowHours: number;
  active: boolean;
};

type OfferRow = { product_id: string; price_minor: string; list_price_minor: string; currency: string; size: number; window_hours: number; active: boolean };

function offerView(row: OfferRow): GroupOfferView {
  return {
    productId: String(row.product_id),
    priceMinor: String(row.price_minor),
    listPriceMinor: String(row.list_price_minor),
    currency: row.currency,
    size: row.size,
    windowHours: row.window_hours,
    active: row.active,
  };
}

/** The product's offer (active or not), with the product's current price; undefined when it has none. */
export async function readGroupOffer(db: Drizzle, productId: bigint): Promise<GroupOfferView | undefined> {
  const row = await queryOne<OfferRow>(
    db,
    sql`SELECT g.product_id, g.price_minor, p.price_minor AS list_price_minor, p.currency, g.size, g.window_hours, g.active
        FROM group_offers g JOIN products p ON p.id = g.product_id WHERE g.product_id = ${productId}`,
  );
  return row ? offerView(row) : undefined;
}

/** Sets (or replaces) the product's offer; the caller has checked that the account manages its shop. */
export async function setGroupOffer(db: Drizzle, input: { productId: bigint; accountId: bigint; offer: GroupOfferInput }): Promise<GroupOfferView> {
  const { productId, offer } = input;
  const product = await queryOne<{ shop_id: string; price_minor: string; delivery_mode: string; currency: string }>(
    db,
    sql`SELECT shop_id, price_minor, delivery_mode, currency FROM products WHERE id = ${productId}`,
  );
  if (!product) throw new AppError("not_found", `No product ${productId}.`);
  if (product.delivery_mode !== "automatic") {
    throw new AppError(
      "validation_failed",
      "Group offers are for products delivered automatically (their keys are held for each member until the group fills).",
      {
        details: [{ path: "productId", message: "not an automatic product" }],
      },
    );
  }
  if (offer.priceMinor >= BigInt(product.price_minor)) {
    throw new AppError(
      "group_price_too_high",
      `The group price ${offer.priceMinor} must be below the product's price ${product.price_minor} (same currency, minor units). Lower the group price.`,
      { details: [{ path: "priceMinor", message: `below ${product.price_minor}` }] },
    );
  }
  return auditedChange(
    db,
    async (tx) => {
      await tx.execute(
        sql`INSERT INTO group_offers (product_id, shop_id, price_minor, size, window_hours, active)
            VALUES (${productId}, ${product.shop_id}::bigint, ${offer.priceMinor}, ${offer.size}, ${offer.windowHours}, ${offer.active})
            ON CONFLICT (product_id) DO UPDATE SET price_minor = excluded.price_minor, size = excluded.size,
              window_hours = excluded.window_hours, active = excluded.active, updated_at = now()`,
      );
      return (await readGroupOffer(tx, productId))!;
    },
    (view) => ({
      accountId: input.accountId,
      action: "groupbuy.offer.set",
      subject: `product:${productId}`,
      details: { priceMinor: view.priceMinor, size: view.size, windowHours: view.windowHours, active: view.active },
    }),
  );
}
