// A listing of a remote supplier's product (docs/docking.md, "Across instances"): a product of the
// reseller's shop, under its own title and at its own price, whose paid orders the purchase job
// (purchase.ts) buys upstream, verifies and delivers. It is a manual-delivery product (no keys of
// its own; the delivery is the verified codes) naming the supplier and the upstream product.
// Before anything is written the upstream product is read through the SDK: it must be an active
// automatic product (keys with certificates), and the retail price must be above what the
// reseller pays upstream.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { KeyledgerError, ok } from "../../../sdk/src/index.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { recordAudit } from "../audit.ts";
import { assertAboveWholesale } from "../docking/listings.ts";
import { openRemoteSupplier, type RemoteSupplier } from "./remoteSuppliers.ts";

export type RemoteListingView = {
  productId: string;
  remoteSupplierId: string;
  remoteProductId: string;
  name: string;
  priceMinor: string;
  upstreamPriceMinor: string;
  currency: string;
};

export async function createRemoteListing(
  deps: { db: Drizzle; keyRing: MasterKeyRing; allowLoopback: boolean },
  input: { shopId: bigint; accountId: bigint; remoteSupplierId: bigint; remoteProductId: bigint; name: string; priceMinor: bigint },
): Promise<RemoteListingView> {
  const owned = await queryOne<{ id: string }>(
    deps.db,
    sql`SELECT id::text FROM remote_suppliers WHERE id = ${input.remoteSupplierId} AND shop_id = ${input.shopId}`,
  );
  if (!owned) throw new AppError("not_found", `This shop has no remote supplier ${input.remoteSupplierId}.`);
  const supplier = await openRemoteSupplier(deps, input.remoteSupplierId);
  const product = await readUpstreamProduct(supplier, input.remoteProductId);
  if (product.deliveryMode !== "automatic" || product.status !== "active") {
    throw new AppError("docking_offer_unavailable", `The supplier's product ${input.remoteProductId} is not an active product sold from keys.`);
  }
  // Only a resellable product's keys are delivered sealed (the code unseen until its holder reveals
  // it); any other is revealed at the sale, and the gate could not prove nobody saw it before.
  if (!product.resaleAllowed) {
    throw new AppError(
      "docking_offer_unavailable",
      `The supplier's product ${input.remoteProductId} is delivered revealed (resale not allowed), so its keys cannot be verified unseen.`,
    );
  }
  const upstreamPriceMinor = BigInt(product.priceMinor);
  assertAboveWholesale(input.priceMinor, upstreamPriceMinor, "priceMinor");
  return deps.db.transaction(async (tx) => {
    const created = await queryOne<{ id: string }>(
      tx,
      sql`INSERT INTO products (shop_id, name, description, category, price_minor, currency, delivery_mode, quantity_min, quantity_max,
            resale_allowed, royalty_bps, remote_supplier_id, remote_product_id)
          VALUES (${input.shopId}, ${input.name}, ${product.description}, ${product.category}, ${input.priceMinor}, ${product.currency}, 'manual',
            ${product.quantityMin}, ${product.quantityMax}, false, 0, ${input.remoteSupplierId}, ${String(input.remoteProductId)})
          RETURNING id::text`,
    );
    await recordAudit(tx, {
      accountId: input.accountId,
      action: "docking.remote_listing.create",
      subject: `product:${created!.id}`,
      details: { shopId: String(input.shopId), remoteSupplierId: String(input.remoteSupplierId), remoteProductId: String(input.remoteProductId) },
    });
    return {
      productId: created!.id,
      remoteSupplierId: String(input.remoteSupplierId),
      remoteProductId: String(input.remoteProductId),
      name: input.name,
      priceMinor: String(input.priceMinor),
      upstreamPriceMinor: String(upstreamPriceMinor),
      currency: product.currency,
    };
  });
}

async function readUpstreamProduct(supplier: RemoteSupplier, productId: bigint) {
  try {
    return ok(await supplier.client.GET("/api/products/{productId}", { params: { path: { productId: String(productId) } } }));
  } catch (error) {
    if (error instanceof KeyledgerError && error.status < 500) {
      throw new AppError("docking_offer_unavailable", `The supplier has no product ${productId} you can buy (${error.status} ${error.code}).`);
    }
    throw new AppError("remote_supplier_unreachable", `The supplier at ${supplier.url} did not answer; try again later.`);
  }
}
