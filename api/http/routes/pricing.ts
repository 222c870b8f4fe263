// Pricing (docs/pricing.md): the quote every checkout is charged by, a product's pricing rules,
// and the merchant's coupons, wholesale tiers, member levels and daily purchase limits.
import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { breakdownJson, quoteOrder } from "../../services/pricing/quoteOrder.ts";
import { currencyConversion } from "../../services/fx/checkoutCurrency.ts";
import { convertBreakdown, fxJson } from "../../pricing/fx.ts";
import { bulkCodesMax, couponsCsv, createCoupons, disableCoupon, listCoupons } from "../../services/pricing/coupons.ts";
import { readMemberLevels, readPricingRules, setDailyPurchaseLimit, setMemberLevels, setPriceTiers } from "../../services/pricing/rules.ts";
import { getProduct } from "../../services/products/products.ts";
import { assertShopManager, getShop } from "../../services/shops/shops.ts";
import { defineRoute } from "../route.ts";
import { couponCode, currencyCode, displayName, email, idString, moneyMinor, productCategories, substoreSlug } from "../schemas.ts";
import { checkoutProduct } from "../../services/orders/productCache.ts";
import { substoreQuote } from "../../services/distribution/checkoutDistribution.ts";
import { cursorParam, idSortKey, opaque } from "../cursor.ts";
import {
  couponPageSchema,
  couponSchema,
  couponsCsvSchema,
  createdCouponsSchema,
  dailyLimitSchema,
  levelsSchema,
  pricingRulesSchema,
  quoteSchema,
  tiersSchema,
} from "../responses/pricing.ts";

export const pricingMountPath = "/api";

const strings = (value: { [key: string]: unknown }) => JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? String(v) : v)));

export function pricingRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const merchant = ["merchant", "admin"] as ("merchant" | "admin")[];
  const productOfManager = async (productId: bigint, account: Parameters<typeof assertShopManager>[2]) => {
    const product = await getProduct(db, productId);
    await assertShopManager(db, BigInt(product.shopId), account);
    return product;
  };

  defineRoute(
    router,
    pricingMountPath,
    {
      method: "post",
      path: "/products/:productId/quote",
      summary: "Quote an order: list price, member level, wholesale tier, coupon and total (the amount checkout charges)",
      tags: ["pricing"],
      auth: "public",
      response: quoteSchema,
      params: z.strictObject({ productId: idString }),
      body: z.strictObject({
        quantity: z.number().int().min(1).max(10_000),
        couponCode: couponCode.optional(),
        contact: email.optional(),
        substore: substoreSlug.optional().describe("Quote in this sub-store: its agent's markup is added, as checkout adds it (docs/distribution.md)"),
        currency: currencyCode
          .optional()
          .describe("Quote in this currency (one the shop accepts) at the platform's rate, as checkout with the same currency charges (docs/currencies.md)"),
      }),
    },
    async ({ params, body, account }) => {
      const listed = await getProduct(db, params.productId);
      const quote = await quoteOrder(db, {
        productId: params.productId,
        quantity: body.quantity,
        couponCode: body.couponCode,
        contact: body.contact,
        buyerAccountId: account?.id,
        stablecoin: ctx.config.merchants.fx.stablecoin,
      });
      const conversion = await currencyConversion(db, ctx.config.merchants.fx, {
        shopId: BigInt(listed.shopId),
        productCurrency: quote.currency,
        asked: body.currency,
        shared:
          body.substore !== undefined
            ? "a sub-store"
            : body.currency !== undefined && (await checkoutProduct(db, params.productId)).supplyProductId !== null
              ? "a docked listing"
              : undefined,
      });
      if (conversion) {
        // The same conversion checkout applies (createOrder's pricedColumns): the total shown is the total charged.
        return { currency: conversion.to, breakdown: breakdownJson(convertBreakdown(quote.breakdown, conversion)), fx: fxJson(conversion, quote.breakdown) };
      }
      const answer = { currency: quote.currency, breakdown: breakdownJson(quote.breakdown) };
      if (body.substore === undefined) return answer;
      const product = await checkoutProduct(db, params.productId);
      const substore = await substoreQuote(db, {
        shopId: product.shopId,
        productId: params.productId,
        slug: body.substore,
        quantity: body.quantity,
        totalMinor: quote.breakdown.totalMinor,
        docked: product.supplyProductId !== null,
      });
      return { ...answer, substore };
    },
  );

  defineRoute(
    router,
    pricingMountPath,
    {
      method: "get",
      path: "/products/:productId/pricing",
      summary: "A product's wholesale tiers, its shop's member levels and its daily purchase limit",
      tags: ["pricing"],
      auth: "public",
      response: pricingRulesSchema,
      params: z.strictObject({ productId: idString }),
    },
    async ({ params }) => {
      await getProduct(db, params.productId);
      return readPricingRules(db, params.productId);
    },
  );

  defineRoute(
    router,
    pricingMountPath,
    {
      method: "put",
      path: "/products/:productId/tiers",
      summary: "Replace a product's wholesale tiers (ascending quantity ranges, no overlap; the last may be open-ended)",
      tags: ["pricing"],
      auth: merchant,
      response: tiersSchema,
      params: z.strictObject({ productId: idString }),
      body: z.strictObject({
        tiers: z
          .array(z.strictObject({ quantityMin: z.number().int().min(1), quantityMax: z.number().int().min(1).nullable(), unitPriceMinor: moneyMinor }))
          .max(20),
      }),
    },
    async ({ params, body, account }) => {
      await productOfManager(params.productId, account!);
      return strings({ tiers: await setPriceTiers(db, { productId: params.productId, accountId: account!.id, tiers: body.tiers }) });
    },
  );

  defineRoute(
    router,
    pricingMountPath,
    {
      method: "put",
      path: "/products/:productId/purchase-limit",
      summary: "Set (or clear with null) how many of a product one buyer, or one guest contact, may order per 24 hours",
      tags: ["pricing"],
      auth: merchant,
      response: dailyLimitSchema,
      params: z.strictObject({ productId: idString }),
      body: z.strictObject({ perBuyerDailyMax: z.number().int().min(1).max(1_000_000).nullable() }),
    },
    async ({ params, body, account }) => {
      await productOfManager(params.productId, account!);
      return setDailyPurchaseLimit(db, { productId: params.productId, accountId: account!.id, perBuyerDailyMax: body.perBuyerDailyMax });
    },
  );

  defineRoute(
    router,
    pricingMountPath,
    {
      method: "get",
      path: "/shops/:shopId/levels",
      summary: "A shop's member levels (public, as a product's pricing rules are: buyers see what spend earns which discount)",
      tags: ["pricing"],
      auth: "public",
      response: levelsSchema,
      params: z.strictObject({ shopId: idString }),
    },
    async ({ params }) => {
      await getShop(db, params.shopId);
      return readMemberLevels(db, params.shopId);
    },
  );

  defineRoute(
    router,
    pricingMountPath,
    {
      method: "put",
      path: "/shops/:shopId/levels",
      summary: "Replace a shop's member levels (a percent off the unit price from a cumulative spend in the shop)",
      tags: ["pricing"],
      auth: merchant,
      response: levelsSchema,
      params: z.strictObject({ shopId: idString }),
      body: z.strictObject({
        levels: z.array(z.strictObject({ name: displayName({ max: 40 }), spendMinMinor: moneyMinor, discountPercent: z.number() })).max(20),
      }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return strings({ levels: await setMemberLevels(db, { shopId: params.shopId, accountId: account!.id, levels: body.levels }) });
    },
  );

  defineRoute(
    router,
    pricingMountPath,
    {
      method: "post",
      path: "/shops/:shopId/coupons",
      summary: `Create one coupon with a chosen code, or generate \`count\` (up to ${bulkCodesMax}) random codes with the same rule`,
      tags: ["pricing"],
      auth: merchant,
      status: 201,
      response: createdCouponsSchema,
      params: z.strictObject({ shopId: idString }),
      body: z
        .strictObject({
          code: couponCode.optional(),
          count: z.number().int().min(1).max(bulkCodesMax).optional(),
          kind: z.enum(["fixed", "percent"]),
          value: moneyMinor,
          scope: z.enum(["shop", "product", "category"]).default("shop"),
          scopeProductId: idString.optional(),
          scopeCategory: z.enum(productCategories).optional(),
          minimumMinor: moneyMinor.default(0n),
          startsAt: z.iso
            .datetime()
            .transform((value) => new Date(value))
            .optional(),
          endsAt: z.iso
            .datetime()
            .transform((value) => new Date(value))
            .optional(),
          usesMax: z.number().int().min(1).optional(),
          perBuyerMax: z.number().int().min(1).optional(),
        })
        .refine((value) => (value.code === undefined) !== (value.count === undefined), {
          message: "give either code (one coupon) or count (generated codes), not both",
        }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const { code, count, ...spec } = body;
      return createCoupons(db, { shopId: params.shopId, accountId: account!.id, spec, code, count });
    },
  );

  defineRoute(
    router,
    pricingMountPath,
    {
      method: "get",
      path: "/shops/:shopId/coupons",
      summary: "A shop's coupons (optionally one generated batch) as JSON, or CSV with format=csv",
      tags: ["pricing"],
      auth: merchant,
      response: couponPageSchema,
      alternativeResponse: { contentType: "text/csv", schema: couponsCsvSchema },
      params: z.strictObject({ shopId: idString }),
      query: z.strictObject({
        batchId: z
          .string()
          .regex(/^B[0-9A-F]{12}$/, "must be a batchId from a bulk generation")
          .optional(),
        limit: z.coerce.number().int().min(1).max(bulkCodesMax).default(100),
        cursor: cursorParam.optional(),
        format: z.enum(["json", "csv"]).default("json"),
      }),
    },
    async ({ params, query, account, res }) => {
      await assertShopManager(db, params.shopId, account!);
      const page = await listCoupons(db, { shopId: params.shopId, batchId: query.batchId, afterId: idSortKey(query.cursor), limit: query.limit });
      if (query.format === "json") return opaque(page);
      const next = opaque(page).nextCursor;
      res.setHeader("content-type", "text/csv; charset=utf-8");
      res.setHeader("content-disposition", `attachment; filename="coupons-${params.shopId}${query.batchId ? `-${query.batchId}` : ""}.csv"`);
      if (next) res.setHeader("x-next-cursor", next);
      res.status(200).send(couponsCsv(page.items));
      return undefined;
    },
  );

  defineRoute(
    router,
    pricingMountPath,
    {
      method: "post",
      path: "/shops/:shopId/coupons/:couponId/disable",
      summary: "Disable a coupon: it is refused from now on (orders already placed keep their discount)",
      tags: ["pricing"],
      auth: merchant,
      response: couponSchema,
      params: z.strictObject({ shopId: idString, couponId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return disableCoupon(db, { shopId: params.shopId, couponId: params.couponId, accountId: account!.id });
    },
  );

  return router;
}
