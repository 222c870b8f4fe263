// Response schema of the storefront search (api/http/routes/search.ts).
import { z } from "zod";
import { productCategories } from "../schemas.ts";
import { decimalString } from "./common.ts";

export const searchResultSchema = z.strictObject({
  products: z.array(
    z.strictObject({
      id: decimalString,
      shopId: decimalString,
      shopName: z.string(),
      shopSlug: z.string(),
      name: z.string(),
      category: z.enum(productCategories),
      priceMinor: decimalString,
      currency: z.string(),
      unitsSold: decimalString.describe("Units of the product's fulfilled orders"),
      relevance: z.number().describe("0 to 1: how well the words match (docs/discovery.md, Ranking)"),
      score: z.number().describe("relevance × (1 + 0.05 × ln(1 + unitsSold)); the order of the list"),
    }),
  ),
  shops: z.array(z.strictObject({ id: decimalString, slug: z.string(), name: z.string(), relevance: z.number() })),
});
