// Response schema of the recommendation routes (api/http/routes/recommendations.ts).
import { z } from "zod";
import { productCategories } from "../schemas.ts";
import { decimalString } from "./common.ts";

export const recommendationListSchema = z.strictObject({
  items: z.array(
    z.strictObject({
      id: decimalString,
      shopId: decimalString,
      shopName: z.string(),
      shopSlug: z.string(),
      name: z.string(),
      category: z.enum(productCategories),
      priceMinor: decimalString,
      currency: z.string(),
      score: z
        .number()
        .describe(
          "behaviour: cosine similarity count(a,b)/sqrt(n(a)·n(b)), summed over the account's items for /me; content: bigram cosine; popular: accounts",
        ),
      reason: z
        .enum(["behaviour", "content", "popular"])
        .describe("behaviour: accounts' orders, views and reveals; content: similar text in the same category or shop; popular: most accounts"),
    }),
  ),
});
