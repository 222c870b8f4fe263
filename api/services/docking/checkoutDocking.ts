// What a checkout of a docked listing needs (docs/docking.md): the supplier's product whose keys
// it reserves, the supplier, and the wholesale unit price, read when the order is placed; and
// the refusals: supply stopped or paused, a payment the platform does not collect, a price
// (after discounts) not above the wholesale.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { DockingShare } from "../../ledger/dockingLegs.ts";
import { assertAboveWholesale } from "./listings.ts";

/**
 * A docked checkout: the product whose keys are reserved, the pool they are taken from (the
 * listing itself when an enabled restock rule gives it an allocation, docs/docking.md
 * "Auto-restock"; else the supplier's product, whose unallocated keys it shares), the supplier's
 * shop, and the wholesale unit price.
 */
export type CheckoutDocking = { stockProductId: bigint; poolProductId: bigint; supplierShopId: bigint; wholesaleUnitMinor: bigint };

/** The docking of a listing at checkout, or undefined for a product of the shop's own. Refuses what cannot be sold now. */
export async function dockingAtCheckout(
  db: Drizzle,
  product: { id: bigint; supplyProductId: bigint | null; name: string },
  paymentMethod: "epay" | "chain",
): Promise<CheckoutDocking | undefined> {
  if (product.supplyProductId === null) return undefined;
  const offer = await queryOne<{ shop_id: bigint; wholesale_price_minor: bigint; state: string; status: string; allocated: boolean }>(
    db,
    sql`SELECT d.shop_id, d.wholesale_price_minor, d.state, p.status,
               EXISTS (SELECT 1 FROM docking_restock_rules r WHERE r.listing_product_id = ${product.id} AND r.enabled) AS allocated
        FROM docking_offers d JOIN products p ON p.id = d.product_id
        WHERE d.product_id = ${product.supplyProductId}`,
  );
  if (offer?.state !== "active" || offer.status !== "active") {
    throw new AppError("docking_offer_unavailable", `The supplier of "${product.name}" has stopped supplying it; it cannot be ordered now.`);
  }
  // The platform credits the supplier only with money it holds: a shop's own gateway pays the reseller.
  if (paymentMethod !== "chain") {
    throw new AppError("docking_payment_method", `"${product.name}" is sold from a supplier's stock: pay with paymentMethod "chain".`, {
      details: [{ path: "paymentMethod", message: "chain" }],
    });
  }
  const stockProductId = BigInt(product.supplyProductId);
  // A rule disabled between this read and the checkout's statement has released the allocation:
  // that checkout finds no keys (out_of_stock, retryable), never another pool's.
  return {
    stockProductId,
    poolProductId: offer.allocated ? BigInt(product.id) : stockProductId,
    supplierShopId: BigInt(offer.shop_id),
    wholesaleUnitMinor: BigInt(offer.wholesale_price_minor),
  };
}

/** The order's docking columns once its price is known: refused when the total is not above the wholesale total. */
export function dockingShareOf(docking: CheckoutDocking, quantity: number, totalMinor: bigint): DockingShare {
  const wholesaleMinor = docking.wholesaleUnitMinor * BigInt(quantity);
  assertAboveWholesale(totalMinor, wholesaleMinor, "The order's total after discounts");
  return { supplierShopId: docking.supplierShopId, wholesaleMinor };
}
