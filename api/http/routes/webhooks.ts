// Webhook endpoints of a shop and its stock notices (docs/webhooks.md). The shop's merchant (or
// an admin) manages them; an API key with the `webhooks:manage` scope may too (docs/api-keys.md),
// but not read the console's stock notices.
import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import {
  createEndpoint,
  listDeliveries,
  listEndpoints,
  listShopNotices,
  replayDelivery,
  rotateSecret,
  updateEndpoint,
  webhookEventTypes,
} from "../../services/webhooks/endpoints.ts";
import { cursorParam, idSortKey, opaque } from "../cursor.ts";
import { defineRoute } from "../route.ts";
import { idString, singleLineText } from "../schemas.ts";
import {
  shopNoticePageSchema,
  shopWebhooksSchema,
  webhookDeliveryPageSchema,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
  webhookReplaySchema,
} from "../responses/webhooks.ts";

export const webhooksMountPath = "/api";

const url = z.string().trim().min(1).max(2048).describe("The receiver: an absolute https:// (or http://) URL on a public address");
const events = z.array(z.enum(webhookEventTypes)).min(1, "choose at least one event").max(webhookEventTypes.length);
const description = singleLineText({ min: 0, max: 200 });
const pageQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50), cursor: cursorParam.optional() });

export function webhooksRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const deps = { db, keyRing: ctx.keyRing, allowLoopback: ctx.config.webhooks.allowLoopback, planLimits: ctx.config.merchants.saas.limitsEnforced };
  const merchant = ["merchant", "admin"] as ("merchant" | "admin")[];

  defineRoute(
    router,
    webhooksMountPath,
    {
      method: "get",
      path: "/shops/:shopId/webhooks",
      summary: "The shop's webhook endpoints (their secrets' ids and expiries, never the secrets) and the event types one can choose",
      tags: ["webhooks"],
      scope: "webhooks:manage",
      auth: merchant,
      response: shopWebhooksSchema,
      params: z.strictObject({ shopId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return { endpoints: await listEndpoints(db, params.shopId), eventTypes: [...webhookEventTypes] };
    },
  );

  defineRoute(
    router,
    webhooksMountPath,
    {
      method: "post",
      path: "/shops/:shopId/webhooks",
      summary: "Add a webhook endpoint for chosen events; the answer carries its signing secret, shown this once",
      tags: ["webhooks"],
      scope: "webhooks:manage",
      auth: merchant,
      status: 201,
      response: webhookEndpointWithSecretSchema,
      params: z.strictObject({ shopId: idString }),
      body: z.strictObject({ url, events, description: description.optional() }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return createEndpoint(deps, { shopId: params.shopId, accountId: account!.id, url: body.url, events: body.events, description: body.description ?? "" });
    },
  );

  defineRoute(
    router,
    webhooksMountPath,
    {
      method: "patch",
      path: "/shops/:shopId/webhooks/:endpointId",
      summary: "Change an endpoint's URL, description or events, or pause (active: false) and resume it",
      tags: ["webhooks"],
      scope: "webhooks:manage",
      auth: merchant,
      response: webhookEndpointSchema,
      params: z.strictObject({ shopId: idString, endpointId: idString }),
      body: z.strictObject({ url: url.optional(), events: events.optional(), description: description.optional(), active: z.boolean().optional() }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return updateEndpoint(deps, { shopId: params.shopId, endpointId: params.endpointId, accountId: account!.id, ...body });
    },
  );

  defineRoute(
    router,
    webhooksMountPath,
    {
      method: "post",
      path: "/shops/:shopId/webhooks/:endpointId/rotate",
      summary: "A new signing secret (shown this once); the old ones keep signing for overlapSeconds (default WEBHOOK_SECRET_OVERLAP_SECONDS), 0 ends them now",
      tags: ["webhooks"],
      scope: "webhooks:manage",
      auth: merchant,
      status: 201,
      response: webhookEndpointWithSecretSchema,
      params: z.strictObject({ shopId: idString, endpointId: idString }),
      body: z.strictObject({
        overlapSeconds: z
          .number()
          .int()
          .min(0)
          .max(30 * 24 * 3600)
          .optional(),
      }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return rotateSecret(deps, {
        shopId: params.shopId,
        endpointId: params.endpointId,
        accountId: account!.id,
        overlapSeconds: body.overlapSeconds ?? ctx.config.webhooks.secretOverlapSeconds,
      });
    },
  );

  defineRoute(
    router,
    webhooksMountPath,
    {
      method: "get",
      path: "/shops/:shopId/webhooks/:endpointId/deliveries",
      summary: "The endpoint's delivery log, newest first: state, attempts, the last response's status, start of body and time",
      tags: ["webhooks"],
      scope: "webhooks:manage",
      auth: merchant,
      response: webhookDeliveryPageSchema,
      params: z.strictObject({ shopId: idString, endpointId: idString }),
      query: pageQuery,
    },
    async ({ params, query, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return opaque(await listDeliveries(db, { shopId: params.shopId, endpointId: params.endpointId, beforeId: idSortKey(query.cursor), limit: query.limit }));
    },
  );

  defineRoute(
    router,
    webhooksMountPath,
    {
      method: "post",
      path: "/shops/:shopId/webhooks/:endpointId/deliveries/:deliveryId/replay",
      summary: "Send a delivered or abandoned delivery's event again (same event id: receivers that saw it drop it)",
      tags: ["webhooks"],
      scope: "webhooks:manage",
      auth: merchant,
      status: 201,
      response: webhookReplaySchema,
      params: z.strictObject({ shopId: idString, endpointId: idString, deliveryId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return replayDelivery(db, { shopId: params.shopId, endpointId: params.endpointId, deliveryId: params.deliveryId, accountId: account!.id });
    },
  );

  defineRoute(
    router,
    webhooksMountPath,
    {
      method: "get",
      path: "/shops/:shopId/notices",
      summary: "The shop's console notices, newest first: stock at or below a product's threshold, and sold out",
      tags: ["webhooks"],
      auth: merchant,
      response: shopNoticePageSchema,
      params: z.strictObject({ shopId: idString }),
      query: pageQuery,
    },
    async ({ params, query, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return opaque(await listShopNotices(db, { shopId: params.shopId, beforeId: idSortKey(query.cursor), limit: query.limit }));
    },
  );

  return router;
}
