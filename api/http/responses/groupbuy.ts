// Answers of the group buying routes (docs/groupbuy.md).
import { z } from "zod";
import { decimalString, isoDateTime } from "./common.ts";
import { orderSchema, paymentSchema } from "./orders.ts";

export const groupOfferSchema = z.strictObject({
  productId: decimalString,
  priceMinor: decimalString,
  listPriceMinor: decimalString,
  currency: z.string(),
  size: z.number().int(),
  windowHours: z.number().int(),
  active: z.boolean(),
});

export const productGroupOfferSchema = z.strictObject({ offer: groupOfferSchema.nullable() });

export const groupSchema = z.strictObject({
  id: z.string(),
  productId: decimalString,
  productName: z.string(),
  shopId: decimalString,
  priceMinor: decimalString,
  listPriceMinor: decimalString,
  currency: z.string(),
  size: z.number().int(),
  membersCount: z.number().int(),
  state: z.enum(["open", "filled", "expired"]),
  expiresAt: isoDateTime,
  createdAt: isoDateTime,
  sharePath: z.string().describe("The group's share link, relative to the site: /g/<id>"),
  viewer: z.strictObject({ leader: z.boolean(), member: z.boolean() }),
});

export const groupCheckoutSchema = z.strictObject({ group: groupSchema, order: orderSchema, accessToken: z.string(), payment: paymentSchema });
