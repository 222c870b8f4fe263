// Answers of the docking routes (docs/docking.md): offers (the supplier's side) and listings (the reseller's).
import { z } from "zod";
import { decimalString, isoDateTime, pageOf } from "./common.ts";
import { certificateSchema } from "../../../core/keys/certificateSchema.ts";

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

export const remoteListingSchema = z.strictObject({
  productId: decimalString,
  remoteSupplierId: decimalString,
  remoteProductId: decimalString,
  name: z.string(),
  priceMinor: decimalString,
  upstreamPriceMinor: decimalString.describe("What the upstream product costs the reseller there (paid from its balance on that instance)"),
  currency: z.string(),
});

export const orderProvenanceSchema = z.strictObject({
  supplier: z.strictObject({
    instance: z.string().describe("The upstream instance the keys were bought from"),
    shopId: decimalString.describe("The supplier's shop on that instance (as its certificates name it)"),
    certificates: z.array(certificateSchema).describe("The supplier's certificates with their salts: verify each against the chain alone"),
  }),
  reseller: z.strictObject({
    instance: z.string(),
    shopId: decimalString,
    orderId: z.string(),
    upstreamOrderId: z.string().describe("The reseller's order on the upstream instance that bought these keys"),
    deliveredAt: isoDateTime,
  }),
});
