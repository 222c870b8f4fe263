// Answers of the docking routes (docs/docking.md): offers (the supplier's side) and listings (the reseller's).
import { z } from "zod";
import { decimalString, pageOf } from "./common.ts";

export const dockingOfferSchema = z.strictObject({
  productId: decimalString,
  supplierShopId: decimalString,
  supplierShopName: z.string(),
  productName: z.string(),
  category: z.string(),
  currency: z.string(),
  wholesalePriceMinor: decimalString,
  listPriceMinor: decimalString,
  state: z.enum(["active", "stopped"]),
  stock: z.number().int(),
});
export const dockingOfferPageSchema = pageOf(dockingOfferSchema);

export const dockingListingSchema = z.strictObject({
  productId: decimalString,
  supplyProductId: decimalString,
  supplierShopId: decimalString,
  name: z.string(),
  priceMinor: decimalString,
  wholesalePriceMinor: decimalString,
  currency: z.string(),
  offerState: z.enum(["active", "stopped"]),
});

export const shopDockingSchema = z.strictObject({ offers: z.array(dockingOfferSchema), listings: z.array(dockingListingSchema) });

export const remoteSupplierSchema = z.strictObject({
  id: decimalString,
  shopId: decimalString,
  url: z.string(),
  apiKeyHint: z.string().describe("kl_live_<id>_abcd…: the key itself is never answered again"),
  chainId: decimalString,
  registry: z.string().describe("The upstream's KeyRegistry, pinned when the supplier was added"),
  entitlement: z.string(),
  createdAt: z.string(),
});
export const remoteSupplierListSchema = z.strictObject({ items: z.array(remoteSupplierSchema) });
export const dockingRestockSchema = z.strictObject({
  listingProductId: decimalString,
  supplyProductId: decimalString,
  enabled: z.boolean(),
  threshold: z.number().int(),
  batchKeys: z.number().int(),
  maxKeys: z.number().int(),
  budgetRemainingMinor: decimalString,
  restockedKeys: decimalString,
  allocatedAvailable: z.number().int(),
  restocks: z.array(
    z.strictObject({
      keys: z.number().int(),
      wholesaleUnitMinor: decimalString,
      costMinor: decimalString,
      reason: z.enum(["threshold", "rule_set", "supply_resumed"]),
      createdAt: z.string(),
    }),
  ),
});
