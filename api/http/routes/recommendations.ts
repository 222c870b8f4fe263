import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { recommendForAccount, recommendForProduct } from "../../services/recommendations/readRecommendations.ts";
import { defineRoute } from "../route.ts";
import { idString } from "../schemas.ts";
import { recommendationListSchema } from "../responses/recommendations.ts";

export const recommendationsMountPath = "/api";

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(20).default(6) });

export function recommendationsRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;

  defineRoute(
    router,
    recommendationsMountPath,
    {
      method: "get",
      path: "/products/:productId/recommendations",
      summary: "Bought together / you may also like: active products most similar to an active one (accounts' behaviour, then similar text, then popular)",
      tags: ["products"],
      auth: "public",
      response: recommendationListSchema,
      params: z.strictObject({ productId: idString }),
      query: listQuery,
    },
    async ({ params, query }) => recommendForProduct(db, params.productId, query.limit),
  );

  defineRoute(
    router,
    recommendationsMountPath,
    {
      method: "get",
      path: "/me/recommendations",
      summary: "For you: active products most similar to what the signed-in account bought, viewed or revealed, without what it bought",
      tags: ["products"],
      auth: "account",
      response: recommendationListSchema,
      query: listQuery,
    },
    async ({ query, account }) => recommendForAccount(db, account!.id, query.limit),
  );
  return router;
}
