// Risk rules in the console (docs/abuse.md, "Risk rules"): a shop's review queue with approve and
// reject, its private blacklist, the platform's shared blacklist (admins), and a product's risk
// thresholds. Every change is audited in its own transaction.
import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { enqueueApprovedFulfilment } from "../../jobs/enqueue.ts";
import { auditedChange } from "../../services/audit.ts";
import { getProduct } from "../../services/products/products.ts";
import { addBlacklistEntry, listBlacklist, removeBlacklistEntry, setRiskThresholds } from "../../services/risk/blacklists.ts";
import { decideReview, listReviewQueue } from "../../services/risk/reviewOrder.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { defineRoute } from "../route.ts";
import { idString, singleLineText } from "../schemas.ts";
import { noContent } from "../responses/common.ts";
import { blacklistEntrySchema, blacklistSchema, reviewDecidedSchema, reviewQueueSchema } from "../responses/risk.ts";

export const riskMountPath = "/api";

const listLimit = 200;

export function riskRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const manager = ["merchant", "admin"] as ("merchant" | "admin")[];
  const shopParams = z.strictObject({ shopId: idString });
  const entryBody = z.strictObject({
    kind: z.enum(["email", "ip_range", "wallet"]),
    value: singleLineText({ max: 254 }),
    reason: singleLineText({ max: 200 }).optional(),
  });

  defineRoute(
    router,
    riskMountPath,
    {
      method: "get",
      path: "/shops/:shopId/reviews",
      summary: "Orders held for review (risk score at the product's review threshold), oldest first",
      tags: ["merchant"],
      auth: manager,
      response: reviewQueueSchema,
      params: shopParams,
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return { items: await listReviewQueue(db, params.shopId, listLimit) };
    },
  );

  defineRoute(
    router,
    riskMountPath,
    {
      method: "post",
      path: "/shops/:shopId/reviews/:orderId",
      summary: "Approve (deliver) or reject (refund in full, keys back to stock) an order held for review (audited)",
      tags: ["merchant"],
      auth: manager,
      response: reviewDecidedSchema,
      params: z.strictObject({ shopId: idString, orderId: z.string().regex(/^KL[0-9A-Z]{8,24}$/, "must be an order number") }),
      body: z.strictObject({ decision: z.enum(["approve", "reject"]) }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const decided = await auditedChange(
        db,
        (tx) =>
          decideReview(
            tx,
            { platformFeeBps: ctx.config.orders.platformFeeBps },
            { orderId: params.orderId, shopId: params.shopId, decision: body.decision, accountId: account!.id },
          ),
        (result) => ({
          accountId: account!.id,
          action: `order.review_${body.decision === "approve" ? "approved" : "rejected"}`,
          subject: `order:${params.orderId}`,
          details: { state: result.state },
        }),
      );
      if (decided.deliverNow) await enqueueApprovedFulfilment(ctx.queues, params.orderId);
      return { orderId: params.orderId, decision: body.decision, state: decided.state };
    },
  );

  defineRoute(
    router,
    riskMountPath,
    {
      method: "get",
      path: "/shops/:shopId/blacklist",
      summary: "The shop's private blacklist",
      tags: ["merchant"],
      auth: manager,
      response: blacklistSchema,
      params: shopParams,
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return { items: await listBlacklist(db, params.shopId, listLimit) };
    },
  );

  defineRoute(
    router,
    riskMountPath,
    {
      method: "post",
      path: "/shops/:shopId/blacklist",
      summary: "Add an email, IP range (CIDR) or wallet to the shop's blacklist (audited)",
      tags: ["merchant"],
      auth: manager,
      status: 201,
      response: blacklistEntrySchema,
      params: shopParams,
      body: entryBody,
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return auditedChange(
        db,
        (tx) => addBlacklistEntry(tx, { shopId: params.shopId, kind: body.kind, value: body.value, reason: body.reason ?? "", accountId: account!.id }),
        (entry) => ({
          accountId: account!.id,
          action: "blacklist.added",
          subject: `shop:${params.shopId}`,
          details: { id: entry.id, kind: entry.kind, value: entry.value },
        }),
      );
    },
  );

  defineRoute(
    router,
    riskMountPath,
    {
      method: "delete",
      path: "/shops/:shopId/blacklist/:entryId",
      summary: "Remove an entry from the shop's blacklist (audited)",
      tags: ["merchant"],
      auth: manager,
      response: noContent,
      params: z.strictObject({ shopId: idString, entryId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      await auditedChange(
        db,
        (tx) => removeBlacklistEntry(tx, params.shopId, params.entryId),
        (entry) => ({
          accountId: account!.id,
          action: "blacklist.removed",
          subject: `shop:${params.shopId}`,
          details: { id: entry.id, kind: entry.kind, value: entry.value },
        }),
      );
      return undefined;
    },
  );

  defineRoute(
    router,
    riskMountPath,
    {
      method: "get",
      path: "/admin/blacklist",
      summary: "The platform's blacklist, shared by every shop (admin)",
      tags: ["admin"],
      auth: ["admin"],
      response: blacklistSchema,
    },
    async () => ({ items: await listBlacklist(db, null, listLimit) }),
  );

  defineRoute(
    router,
    riskMountPath,
    {
      method: "post",
      path: "/admin/blacklist",
      summary: "Add an entry to the platform's shared blacklist (admin, audited)",
      tags: ["admin"],
      auth: ["admin"],
      status: 201,
      response: blacklistEntrySchema,
      body: entryBody,
    },
    async ({ body, account }) =>
      auditedChange(
        db,
        (tx) => addBlacklistEntry(tx, { shopId: null, kind: body.kind, value: body.value, reason: body.reason ?? "", accountId: account!.id }),
        (entry) => ({
          accountId: account!.id,
          action: "blacklist.added",
          subject: "platform",
          details: { id: entry.id, kind: entry.kind, value: entry.value },
        }),
      ),
  );

  defineRoute(
    router,
    riskMountPath,
    {
      method: "delete",
      path: "/admin/blacklist/:entryId",
      summary: "Remove an entry from the platform's blacklist (admin, audited)",
      tags: ["admin"],
      auth: ["admin"],
      response: noContent,
      params: z.strictObject({ entryId: idString }),
    },
    async ({ params, account }) => {
      await auditedChange(
        db,
        (tx) => removeBlacklistEntry(tx, null, params.entryId),
        (entry) => ({
          accountId: account!.id,
          action: "blacklist.removed",
          subject: "platform",
          details: { id: entry.id, kind: entry.kind, value: entry.value },
        }),
      );
      return undefined;
    },
  );

  defineRoute(
    router,
    riskMountPath,
    {
      method: "put",
      path: "/products/:productId/risk-thresholds",
      summary: "Set a product's risk score thresholds: review (held before delivery) and block (403); null for the platform's (audited)",
      tags: ["merchant"],
      auth: manager,
      response: noContent,
      params: z.strictObject({ productId: idString }),
      body: z
        .strictObject({ reviewScore: z.number().int().min(0).max(1000).nullable(), blockScore: z.number().int().min(0).max(1000).nullable() })
        .refine((t) => t.reviewScore === null || t.blockScore === null || t.reviewScore <= t.blockScore, "reviewScore must not be above blockScore"),
    },
    async ({ params, body, account }) => {
      const product = await getProduct(db, params.productId);
      await assertShopManager(db, BigInt(product.shopId), account!);
      await auditedChange(
        db,
        (tx) => setRiskThresholds(tx, params.productId, body),
        () => ({ accountId: account!.id, action: "product.risk_thresholds_set", subject: `product:${params.productId}`, details: body }),
      );
      return undefined;
    },
  );

  return router;
}
