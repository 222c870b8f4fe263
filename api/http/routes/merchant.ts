// The merchant console's API: key imports with progress, batches, orders, manual delivery,
// sales figures.
import express, { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { createImport } from "../../keys/importKeys.ts";
import { enqueueImport, handOverToRedis } from "../../jobs/enqueue.ts";
import { announceOrderChange } from "../announceOrderChange.ts";
import { deliverManualOrder } from "../../services/orders/deliverManualOrder.ts";
import { listOrders } from "../../services/orders/listOrders.ts";
import { getImportProgress } from "../../services/imports/getImportProgress.ts";
import { getProduct } from "../../services/products/products.ts";
import { listBatches } from "../../services/shops/batches.ts";
import { salesSummary } from "../../services/shops/salesSummary.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { assertImportQuota, shopOwner } from "../../services/shops/merchantQuotas.ts";
import { assertStockRoom } from "../../services/saas/verificationLimits.ts";
import { defineRoute } from "../route.ts";
import { idString, multilineText } from "../schemas.ts";
import { cursorParam, encodeCursor, idSortKey } from "../cursor.ts";
import { batchPageSchema, deliveredOrderSchema, importJobSchema, importQueuedSchema, salesSummarySchema } from "../responses/merchant.ts";
import { orderSummaryPageSchema } from "../responses/orders.ts";

export const merchantMountPath = "/api";

const importContentTypes = ["text/plain", "text/csv"];

export function merchantRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const merchant = ["merchant", "admin"] as ("merchant" | "admin")[];
  router.use("/products/:productId/imports", express.text({ type: importContentTypes, limit: ctx.config.http.importBodyLimitBytes }));

  defineRoute(
    router,
    merchantMountPath,
    {
      method: "post",
      path: "/products/:productId/imports",
      summary: "Import keys: text/plain (one per line) or text/csv (a key/code/secret column); returns the import job",
      tags: ["merchant"],
      auth: merchant,
      scope: "keys:import",
      status: 202,
      response: importQueuedSchema,
      rawBody: true,
      rawBodyTypes: importContentTypes,
      params: z.strictObject({ productId: idString }),
      body: z.string({ error: "send the keys as text/plain or text/csv" }).min(1, "the file is empty"),
    },
    async ({ params, body, account, req }) => {
      const product = await getProduct(db, params.productId);
      const shopId = BigInt(product.shopId);
      await assertShopManager(db, shopId, account!);
      const format = req.is("text/csv") ? "csv" : "text";
      const { importId, total } = await createImport(db, ctx.keyRing, {
        shopId,
        productId: params.productId,
        accountId: account!.id,
        format,
        content: body,
        limits: { keysMax: ctx.config.imports.keysMax, keyLengthMax: ctx.config.imports.keyLengthMax },
        // Counted against the shop's owner, whoever imports (docs/abuse.md, "Merchant quotas").
        quota: async (tx, keys) => {
          await assertImportQuota(tx, await shopOwner(tx, shopId), keys, ctx.config.merchants.quotas);
          // Keys in stock within the plan and the verification level (docs/saas.md).
          if (ctx.config.merchants.saas.limitsEnforced) await assertStockRoom(tx, shopId, keys);
        },
      });
      // The import is recorded (queued, its upload stored encrypted): that row is the job's
      // outbox, which the recovery sweep drains (api/jobs/recovery/requeueStuckImports.ts). So a
      // Redis that is down or slow costs a later start, never a hanging or failed upload.
      await handOverToRedis(ctx, () => enqueueImport(ctx.queues, importId), {
        code: "import_enqueue_deferred",
        message: "import left to the recovery sweep: the queue did not take it",
        fields: { importId: String(importId) },
      });
      return { importId: String(importId), total, status: "queued", progressUrl: `/api/imports/${importId}` };
    },
  );

  defineRoute(
    router,
    merchantMountPath,
    {
      method: "get",
      path: "/imports/:importId",
      summary: "An import job's progress (processed / total)",
      tags: ["merchant"],
      auth: merchant,
      scope: "keys:import",
      response: importJobSchema,
      params: z.strictObject({ importId: idString }),
    },
    async ({ params, account }) => getImportProgress(db, { importId: params.importId, account: account! }),
  );

  defineRoute(
    router,
    merchantMountPath,
    {
      method: "get",
      path: "/shops/:shopId/batches",
      summary: "The shop's batches with their anchoring state",
      tags: ["merchant"],
      auth: merchant,
      scope: "keys:import",
      response: batchPageSchema,
      params: z.strictObject({ shopId: idString }),
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50), cursor: cursorParam.optional() }),
    },
    async ({ params, query, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const items = await listBatches(db, { shopId: params.shopId, limit: query.limit, beforeId: idSortKey(query.cursor) });
      return { items, nextCursor: encodeCursor(items.length === query.limit ? items.at(-1)!.id : null) };
    },
  );

  defineRoute(
    router,
    merchantMountPath,
    {
      method: "get",
      path: "/shops/:shopId/orders",
      summary: "The shop's orders, newest first; `deliveryMode=manual&state=paid` is the manual-delivery queue",
      tags: ["merchant"],
      auth: merchant,
      scope: "orders:read",
      response: orderSummaryPageSchema,
      params: z.strictObject({ shopId: idString }),
      query: z.strictObject({
        state: z.enum(["awaiting_payment", "paid", "fulfilled", "expired", "refund_pending", "refunded", "failed"]).optional(),
        deliveryMode: z.enum(["automatic", "manual"]).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ params, query, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const { cursor, ...filter } = query;
      const page = await listOrders(db, { shopId: params.shopId, ...filter, before: cursor });
      return { items: page.items, nextCursor: encodeCursor(page.nextBefore) };
    },
  );

  defineRoute(
    router,
    merchantMountPath,
    {
      method: "post",
      path: "/orders/:orderId/deliver",
      summary: "Deliver a paid manual-delivery order (the text reaches the buyer on the order page)",
      tags: ["merchant"],
      auth: merchant,
      scope: "orders:write",
      response: deliveredOrderSchema,
      params: z.strictObject({ orderId: z.string().regex(/^KL[0-9A-Z]{8,24}$/) }),
      body: z.strictObject({ content: multilineText({ min: 1, max: 10_000 }) }),
    },
    async ({ params, body, account }) => {
      const order = await deliverManualOrder(db, ctx.keyRing, { orderId: params.orderId, account: account!, content: body.content });
      await announceOrderChange(ctx, order.id);
      return { id: order.id, state: "fulfilled" };
    },
  );

  defineRoute(
    router,
    merchantMountPath,
    {
      method: "get",
      path: "/shops/:shopId/sales",
      summary: "Sales figures: revenue per day and top products over the last N days",
      tags: ["merchant"],
      auth: merchant,
      scope: "orders:read",
      response: salesSummarySchema,
      params: z.strictObject({ shopId: idString }),
      query: z.strictObject({ days: z.coerce.number().int().min(1).max(365).default(30) }),
    },
    async ({ params, query, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return salesSummary(db, params.shopId, query.days);
    },
  );

  return router;
}
