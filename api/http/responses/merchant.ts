// Response schemas of the merchant console's routes (api/http/routes/merchant.ts).
import { z } from "zod";
import { decimalString, hexString, isoDateTime, pageOf } from "./common.ts";

const chainWriteStates = ["pending", "submitted", "included", "confirmed", "failed"] as const;

export const importQueuedSchema = z.strictObject({
  importId: decimalString,
  total: z.number().int(),
  status: z.literal("queued"),
  progressUrl: z.string(),
});

export const importJobSchema = z.strictObject({
  id: decimalString,
  status: z.string(),
  format: z.enum(["text", "csv"]),
  total: z.number().int(),
  processed: z.number().int(),
  percent: z.number().int().min(0).max(100),
  batchId: decimalString.nullable(),
  anchorState: z.enum(chainWriteStates).nullable(),
  anchorTx: hexString.nullable(),
  /** Why the import failed ({ code, message, ... }), or null. */
  error: z.unknown(),
  createdAt: isoDateTime,
  finishedAt: isoDateTime.nullable(),
});

export const batchSchema = z.strictObject({
  id: decimalString,
  productId: decimalString,
  keyCount: z.number().int(),
  root: hexString.nullable(),
  anchorState: z.enum(chainWriteStates),
  anchorTx: hexString.nullable(),
  anchorBlock: decimalString.nullable(),
  anchoredAt: isoDateTime.nullable(),
  createdAt: isoDateTime,
  sold: z.number().int(),
  available: z.number().int(),
});

export const batchPageSchema = pageOf(batchSchema);

export const deliveredOrderSchema = z.strictObject({ id: z.string(), state: z.literal("fulfilled") });

export const salesSummarySchema = z.strictObject({
  days: z.number().int(),
  revenuePerDay: z.array(z.strictObject({ day: z.string(), currency: z.string(), revenueMinor: decimalString, orders: z.number().int() })),
  topProducts: z.array(
    z.strictObject({ productId: decimalString, name: z.string(), currency: z.string(), revenueMinor: decimalString, units: z.number().int() }),
  ),
});
