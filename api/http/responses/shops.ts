// Response schemas of the shop and product routes (api/http/routes/shops.ts).
import { z } from "zod";
import { productCategories } from "../schemas.ts";
import { address, decimalString, isoDateTime, pageOf } from "./common.ts";

export const shopSchema = z.strictObject({
  id: decimalString,
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  issuerAddress: address.nullable(),
  epayConfigured: z.boolean(),
  createdAt: isoDateTime,
});

export const productSchema = z.strictObject({
  id: decimalString,
  shopId: decimalString,
  name: z.string(),
  description: z.string(),
  category: z.enum(productCategories),
  priceMinor: decimalString,
  currency: z.string(),
  deliveryMode: z.enum(["automatic", "manual"]),
  quantityMin: z.number().int(),
  quantityMax: z.number().int(),
  lowStockThreshold: z.number().int(),
  resaleAllowed: z.boolean(),
  /** Entitlements may be rented out (shared account credentials; never one-time codes). */
  rentalAllowed: z.boolean(),
  royaltyBps: z.number().int(),
  status: z.enum(["active", "paused"]),
  /** Keys available (or the merchant's manual stock); null when a manual product keeps no count. */
  stock: z.number().int().nullable(),
  lowStock: z.boolean(),
  pendingKeys: z.number().int(),
});

export const shopPageSchema = pageOf(shopSchema);
export const productListSchema = z.strictObject({ items: z.array(productSchema) });
