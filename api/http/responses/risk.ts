// Response schemas of the risk routes (api/http/routes/risk.ts).
import { z } from "zod";
import { decimalString, isoDateTime } from "./common.ts";

export const reviewItemSchema = z.strictObject({
  orderId: z.string(),
  state: z.string(),
  productId: decimalString,
  quantity: z.number().int(),
  amountMinor: decimalString,
  currency: z.string(),
  contact: z.string().nullable(),
  riskScore: z.number().int(),
  riskReasons: z.array(z.string()),
  createdAt: isoDateTime,
});

export const reviewQueueSchema = z.strictObject({ items: z.array(reviewItemSchema) });

export const reviewDecidedSchema = z.strictObject({ orderId: z.string(), decision: z.enum(["approve", "reject"]), state: z.string() });

export const blacklistEntrySchema = z.strictObject({
  id: decimalString,
  shopId: decimalString.nullable(),
  kind: z.enum(["email", "ip_range", "wallet"]),
  value: z.string(),
  reason: z.string(),
  createdAt: isoDateTime,
});

export const blacklistSchema = z.strictObject({ items: z.array(blacklistEntrySchema) });
