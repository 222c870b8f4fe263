import { Router } from "express";
import { readDatabase } from "../../../core/store/replicaReads.ts";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import type { Drizzle } from "../../../core/store/database.ts";
import { epayGatewayBase } from "../../payments/epay.ts";
import { auditedChange } from "../../services/audit.ts";
import { setEpaySettings } from "../../services/shops/epaySettings.ts";
import { assertShopQuota } from "../../services/shops/merchantQuotas.ts";
import { assertEmailConfirmed } from "../../services/saas/emailConfirmation.ts";
import { assertProductRoom } from "../../services/saas/plans.ts";
import { assertShopManager, createShop, getShop, getShopBySlug, listShops } from "../../services/shops/shops.ts";
import { createProduct, getListedProduct, getProduct, listProducts, updateProduct } from "../../services/products/products.ts";
import { recordProductView } from "../../services/recommendations/productViews.ts";
import { defineRoute } from "../route.ts";
import { currencyCode, displayName, idString, moneyMinor, multilineText, productCategories, singleLineText } from "../schemas.ts";
import { noContent } from "../responses/common.ts";
import { cursorParam, encodeCursor, idSortKey } from "../cursor.ts";
import { productListSchema, productSchema, shopPageSchema, shopSchema } from "../responses/shops.ts";

export const shopsMountPath = "/api";

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "must be 2-63 characters: lower-case letters, digits and dashes");

const productFields = {
  name: displayName({ max: 120 }),
  description: multilineText({ max: 4000 }).optional(),
  category: z.enum(productCategories),
  priceMinor: moneyMinor,
  currency: currencyCode,
  quantityMin: z.number().int().min(1).max(10_000).optional(),
  quantityMax: z.number().int().min(1).max(10_000).optional(),
  lowStockThreshold: z.number().int().min(0).max(1_000_000).optional(),
  resaleAllowed: z.boolean().optional(),
  rentalAllowed: z.boolean().optional(),
  royaltyBps: z.number().int().min(0).max(10_000).optional(),
  manualStock: z.number().int().min(0).max(1_000_000_000).nullable().optional(),
};

/** The answer of GET /api/shops: a page of shops and the cursor of the next (also embedded in the home page, api/http/storefrontFirstData.ts). */
export async function shopPage(db: Drizzle, options: Parameters<typeof listShops>[1]) {
  const items = await listShops(db, options);
  return { items, nextCursor: encodeCursor(items.length === options.limit ? items.at(-1)!.id : null) };
}

export function shopsRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const shopParams = z.strictObject({ shopId: idString });

  defineRoute(
    router,
    shopsMountPath,
    {
      method: "post",
      path: "/shops",
      summary: "Create a shop (merchant; a self-service merchant owns at most its quota of shops: 403 shop_quota_exceeded)",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      status: 201,
      response: shopSchema,
      body: z.strictObject({ slug, name: displayName({ max: 80 }), description: multilineText({ max: 2000 }).optional() }),
    },
    async ({ body, account }) => {
      const issuerAddress = ctx.chain?.walletClient?.account.address;
      return auditedChange(
        db,
        async (tx) => {
          // A self-service merchant confirms the email before the shop opens (docs/saas.md).
          if (ctx.config.merchants.saas.limitsEnforced) await assertEmailConfirmed(tx, account!.id);
          await assertShopQuota(tx, account!.id, ctx.config.merchants.quotas);
          return createShop(tx, ctx.keyRing, { ...body, ownerAccountId: account!.id, issuerAddress });
        },
        (shop) => ({ accountId: account!.id, action: "shop.created", subject: `shop:${shop.id}` }),
      );
    },
  );

  defineRoute(
    router,
    shopsMountPath,
    {
      method: "get",
      path: "/shops",
      summary: "List shops (public); `mine=true` lists the signed-in merchant's shops",
      tags: ["shops"],
      auth: "public",
      scope: "products:read",
      response: shopPageSchema,
      query: z.strictObject({
        mine: z.enum(["true", "false"]).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ query, req }) => {
      const ownerAccountId = query.mine === "true" ? (req.account?.id ?? -1n) : undefined;
      return shopPage(db, { ownerAccountId, afterId: idSortKey(query.cursor), limit: query.limit });
    },
  );

  defineRoute(
    router,
    shopsMountPath,
    {
      method: "get",
      path: "/shops/by-slug/:slug",
      summary: "A shop by its slug",
      tags: ["shops"],
      auth: "public",
      response: shopSchema,
      params: z.strictObject({ slug }),
    },
    async ({ params }) => getShopBySlug(db, params.slug),
  );

  defineRoute(
    router,
    shopsMountPath,
    {
      method: "get",
      path: "/shops/:shopId",
      summary: "A shop",
      tags: ["shops"],
      auth: "public",
      scope: "products:read",
      response: shopSchema,
      params: shopParams,
    },
    async ({ params }) => getShop(db, params.shopId),
  );

  defineRoute(
    router,
    shopsMountPath,
    {
      method: "put",
      path: "/shops/:shopId/payment-settings/epay",
      summary: "Configure the shop's EPay (易支付) gateway; the key is stored encrypted and never returned",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: noContent,
      params: shopParams,
      body: z.strictObject({
        // Either the gateway's base URL or its submit.php address, stored as the base.
        gatewayUrl: z
          .string()
          .url()
          .max(500)
          .transform((value, context) => {
            const gateway = epayGatewayBase(value);
            if ("baseUrl" in gateway) return gateway.baseUrl;
            context.addIssue({ code: "custom", message: `gatewayUrl ${gateway.problem}` });
            return z.NEVER;
          }),
        pid: singleLineText({ min: 1, max: 64 }),
        key: z.string().min(8).max(256),
      }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      await auditedChange(
        db,
        (tx) => setEpaySettings(tx, ctx.keyRing, params.shopId, body),
        () => ({
          accountId: account!.id,
          action: "shop.epay_configured",
          subject: `shop:${params.shopId}`,
          details: { gatewayUrl: body.gatewayUrl, pid: body.pid },
        }),
      );
      return undefined;
    },
  );

  defineRoute(
    router,
    shopsMountPath,
    {
      method: "get",
      path: "/shops/:shopId/products",
      summary: "The shop's products with stock (paused ones only for its merchant)",
      tags: ["products"],
      auth: "public",
      scope: "products:read",
      response: productListSchema,
      params: shopParams,
      query: z.strictObject({ category: z.enum(productCategories).optional(), includePaused: z.enum(["true", "false"]).optional() }),
    },
    async ({ params, query, req }) => {
      let includePaused = false;
      if (query.includePaused === "true" && req.account) {
        await assertShopManager(db, params.shopId, req.account);
        includePaused = true;
      }
      return { items: await listProducts(db, params.shopId, { includePaused, category: query.category }) };
    },
  );

  defineRoute(
    router,
    shopsMountPath,
    {
      method: "post",
      path: "/shops/:shopId/products",
      summary: "Create a product",
      tags: ["products"],
      auth: ["merchant", "admin"],
      scope: "products:write",
      status: 201,
      response: productSchema,
      params: shopParams,
      body: z.strictObject({ ...productFields, deliveryMode: z.enum(["automatic", "manual"]).default("automatic") }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      if (!ctx.config.merchants.saas.limitsEnforced) return createProduct(db, params.shopId, body);
      // Within the shop's plan (docs/saas.md): counted under the shop row's lock, so two at once take turns.
      return db.transaction(async (tx) => {
        await assertProductRoom(tx, params.shopId);
        return createProduct(tx, params.shopId, body);
      });
    },
  );

  defineRoute(
    router,
    shopsMountPath,
    {
      method: "get",
      path: "/products/:productId",
      summary: "A product with its stock (a paused one only for its merchant)",
      tags: ["products"],
      auth: "public",
      scope: "products:read",
      response: productSchema,
      params: z.strictObject({ productId: idString }),
    },
    async ({ params, account }) => {
      const product = await getListedProduct(await readDatabase(ctx), params.productId, account);
      // A view is a recommendation signal: signed-in accounts only, active products only.
      if (account && product.status === "active") await recordProductView(db, account.id, params.productId);
      return product;
    },
  );

  defineRoute(
    router,
    shopsMountPath,
    {
      method: "patch",
      path: "/products/:productId",
      summary: "Edit, pause or resume a product",
      tags: ["products"],
      auth: ["merchant", "admin"],
      scope: "products:write",
      response: productSchema,
      params: z.strictObject({ productId: idString }),
      body: z.strictObject({ ...partial(productFields), status: z.enum(["active", "paused"]).optional() }),
    },
    async ({ params, body, account }) => {
      const product = await getProduct(db, params.productId);
      await assertShopManager(db, BigInt(product.shopId), account!);
      return updateProduct(db, params.productId, body);
    },
  );

  return router;
}

function partial<T extends Record<string, z.ZodType>>(fields: T): { [K in keyof T]: z.ZodOptional<T[K]> } {
  return Object.fromEntries(Object.entries(fields).map(([name, schema]) => [name, schema.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };
}
