import { Router } from "express";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { z } from "zod";
import { AppError } from "../../../core/errors.ts";
import type { AppContext } from "../../context.ts";
import { searchCatalogue } from "../../services/search/searchCatalogue.ts";
import { defineRoute } from "../route.ts";
import { moneyMinor, productCategories, singleLineText } from "../schemas.ts";
import { searchResultSchema } from "../responses/search.ts";

export const searchMountPath = "/api";

// Bounds of a query (docs/discovery.md): a search box holds a few words, and every word is one
// more pass over each candidate's text, so both are capped.
const queryLengthMax = 100;
const queryWordsMax = 8;

/** The typed text: one line, at most 100 characters and 8 words, one of them at least 2 characters long. */
export const searchQueryText = singleLineText({ min: 1, max: queryLengthMax })
  .refine((text) => text.split(/\s+/).length <= queryWordsMax, `must have at most ${queryWordsMax} words`)
  .refine(
    (text) => text.split(/\s+/).some((word) => [...word].length >= 2),
    // A one-character word has no bigram, so the index could not narrow the search down.
    "must contain a word of at least 2 characters (e.g. 荣耀 or netflix)",
  );

export function searchRouter(ctx: AppContext): Router {
  const router = Router();
  const searches = new RateLimiterRedis({
    storeClient: ctx.queues.connection,
    keyPrefix: `${ctx.config.redis.prefix}:search`,
    points: ctx.config.throttles.searchRequestsPerMinuteMax,
    duration: 60,
  });
  defineRoute(
    router,
    searchMountPath,
    {
      method: "get",
      path: "/search",
      summary: "Search active products and shops by words in Chinese or English (substrings, typos tolerated), ranked by relevance and sales",
      tags: ["products"],
      auth: "public",
      response: searchResultSchema,
      query: z
        .strictObject({
          q: searchQueryText,
          category: z.enum(productCategories).optional(),
          minPriceMinor: moneyMinor.optional(),
          maxPriceMinor: moneyMinor.optional(),
          limit: z.coerce.number().int().min(1).max(50).default(20),
        })
        .refine((query) => query.minPriceMinor === undefined || query.maxPriceMinor === undefined || query.minPriceMinor <= query.maxPriceMinor, {
          message: "minPriceMinor must not exceed maxPriceMinor",
          path: ["minPriceMinor"],
        }),
    },
    async ({ query, req }) => {
      try {
        await searches.consume(req.ip ?? "unknown");
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw new AppError("rate_limited", `Too many searches from this address. Try again in ${retryAfterSeconds} s.`, { details: { retryAfterSeconds } });
      }
      // Shops are suggested beside products only for a plain search: a filter narrows products.
      const filtered = query.category !== undefined || query.minPriceMinor !== undefined || query.maxPriceMinor !== undefined;
      return searchCatalogue(ctx.database.db, {
        query: query.q,
        category: query.category,
        minPriceMinor: query.minPriceMinor,
        maxPriceMinor: query.maxPriceMinor,
        productsMax: query.limit,
        shopsMax: filtered ? 0 : 5,
      });
    },
  );
  return router;
}
