// Response schemas of the receipts and tax routes (api/http/routes/receipts.ts, docs/saas.md).
import { z } from "zod";

export const taxRateSchema = z.strictObject({
  country: z.string().describe("ISO 3166-1 alpha-2"),
  rateBps: z.number().int().describe("basis points: 1000 = 10%"),
  inclusive: z.boolean().describe("true: prices include the tax; false: the tax is on top of the price"),
});
export const taxRateListSchema = z.strictObject({ items: z.array(taxRateSchema) });
