import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import {
  createReview,
  listMyReviews,
  listProductReviews,
  listReportedReviews,
  moderateReview,
  replyToReview,
  reportReview,
} from "../../services/reviews/reviews.ts";
import { defineRoute } from "../route.ts";
import { idString, multilineText, singleLineText } from "../schemas.ts";
import { noContent } from "../responses/common.ts";
import { cursorParam, encodeCursor, idSortKey } from "../cursor.ts";
import { productReviewPageSchema, reportedReviewPageSchema, reviewPageSchema, reviewSchema } from "../responses/reviews.ts";

export const reviewsMountPath = "/api";

const reviewParams = z.strictObject({ reviewId: idString });
const pageQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: cursorParam.optional() });

export function reviewsRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;

  defineRoute(
    router,
    reviewsMountPath,
    {
      method: "get",
      path: "/products/:productId/reviews",
      summary: "A product's visible reviews, newest first, with its rating",
      tags: ["reviews"],
      auth: "public",
      response: productReviewPageSchema,
      params: z.strictObject({ productId: idString }),
      query: pageQuery,
    },
    async ({ params, query }) => {
      const page = await listProductReviews(db, params.productId, { afterId: idSortKey(query.cursor), limit: query.limit });
      return { ...page, nextCursor: encodeCursor(page.nextCursor) };
    },
  );

  defineRoute(
    router,
    reviewsMountPath,
    {
      method: "post",
      path: "/reviews",
      summary:
        "Review a product you bought: one review per entitlement issued on-chain (404 not yours, 409 review_not_eligible before issuance, 409 already_reviewed, 422 review_product_mismatch)",
      tags: ["reviews"],
      auth: "account",
      status: 201,
      response: reviewSchema,
      body: z.strictObject({
        entitlementId: idString,
        productId: idString,
        stars: z.number().int().min(1, "must be 1 to 5").max(5, "must be 1 to 5"),
        body: multilineText({ min: 1, max: 2000 }).refine((text) => text.trim().length > 0, "must not be blank"),
      }),
    },
    async ({ body, account }) => createReview(db, account!, body),
  );

  defineRoute(
    router,
    reviewsMountPath,
    {
      method: "get",
      path: "/account/reviews",
      summary: "Your own reviews, newest first",
      tags: ["reviews"],
      auth: "account",
      response: reviewPageSchema,
      query: pageQuery,
    },
    async ({ query, account }) => {
      const page = await listMyReviews(db, account!, { afterId: idSortKey(query.cursor), limit: query.limit });
      return { ...page, nextCursor: encodeCursor(page.nextCursor) };
    },
  );

  defineRoute(
    router,
    reviewsMountPath,
    {
      method: "post",
      path: "/reviews/:reviewId/reply",
      summary: "The shop's one reply to a review (its merchant or an admin; 409 already_replied)",
      tags: ["reviews"],
      auth: ["merchant", "admin"],
      response: reviewSchema,
      params: reviewParams,
      body: z.strictObject({ body: multilineText({ min: 1, max: 2000 }).refine((text) => text.trim().length > 0, "must not be blank") }),
    },
    async ({ params, body, account }) => replyToReview(db, account!, params.reviewId, body.body),
  );

  defineRoute(
    router,
    reviewsMountPath,
    {
      method: "post",
      path: "/reviews/:reviewId/reports",
      summary: "Report a review to the platform's moderators (once per account; 409 already_reported)",
      tags: ["reviews"],
      auth: "account",
      status: 204,
      response: noContent,
      params: reviewParams,
      body: z.strictObject({ reason: singleLineText({ min: 1, max: 500 }) }),
    },
    async ({ params, body, account }) => {
      await reportReview(db, account!, params.reviewId, body.reason);
      return undefined;
    },
  );

  defineRoute(
    router,
    reviewsMountPath,
    {
      method: "get",
      path: "/admin/reviews",
      summary: "Reviews for moderation: `status=open` those with open reports, `status=hidden` those taken down",
      tags: ["reviews"],
      auth: ["admin"],
      response: reportedReviewPageSchema,
      query: pageQuery.extend({ status: z.enum(["open", "hidden"]).default("open") }),
    },
    async ({ query }) => {
      const page = await listReportedReviews(db, { afterId: idSortKey(query.cursor), limit: query.limit, status: query.status });
      return { ...page, nextCursor: encodeCursor(page.nextCursor) };
    },
  );

  for (const action of ["hide", "restore"] as const) {
    defineRoute(
      router,
      reviewsMountPath,
      {
        method: "post",
        path: `/admin/reviews/:reviewId/${action}`,
        summary:
          action === "hide"
            ? "Hide a review (admin, audited): it leaves the product's rating and its open reports are resolved"
            : "Restore a hidden review (admin, audited): it counts in the product's rating again",
        tags: ["reviews"],
        auth: ["admin"],
        response: reviewSchema,
        params: reviewParams,
        body: z.strictObject({ reason: singleLineText({ min: 1, max: 500 }) }),
      },
      async ({ params, body, account }) => moderateReview(db, account!, params.reviewId, action, body.reason),
    );
  }
  return router;
}
