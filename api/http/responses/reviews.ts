// Response schemas of the review routes (api/http/routes/reviews.ts).
import { z } from "zod";
import { decimalString, hexString, isoDateTime, pageOf } from "./common.ts";

export const reviewSchema = z.strictObject({
  id: decimalString,
  productId: decimalString,
  shopId: decimalString,
  entitlementId: decimalString,
  stars: z.number().int().min(1).max(5),
  body: z.string(),
  status: z.enum(["visible", "hidden"]),
  authorName: z.string().nullable().describe("The reviewer's display name; null when none is set"),
  verified: z
    .strictObject({ issueTx: hexString.describe("The entitlement's on-chain issuance transaction"), tokenId: decimalString.nullable() })
    .describe("Verified purchase: the reviewed entitlement's issuance"),
  reply: z.strictObject({ body: z.string(), repliedAt: isoDateTime }).nullable(),
  createdAt: isoDateTime,
});

export const ratingSchema = z.strictObject({
  reviewsCount: decimalString,
  starsTotal: decimalString,
  average: z.number().nullable().describe("starsTotal / reviewsCount to two decimals; null without reviews"),
});

export const reviewPageSchema = pageOf(reviewSchema);
export const productReviewPageSchema = z.strictObject({ items: z.array(reviewSchema), nextCursor: z.string().nullable(), rating: ratingSchema });
export const reportedReviewPageSchema = pageOf(reviewSchema.extend({ openReports: z.number().int(), reasons: z.array(z.string()) }));
