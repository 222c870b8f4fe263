// Disputes (docs/disputes.md): the buyer opens one on an order (signed in, or a guest with the
// order's access token), both parties and the platform read it with its evidence, the merchant
// decides, either party escalates, the other answers, an admin arbitrates; the admins' queue;
// a shop's reputation; the platform's after-sales windows. Who may do what is decided from who
// may see the order (loadOrderFor): anyone else gets the same not_found as for a missing order.
import { sealOrderKeysOrWarn } from "../../keys/buyerSeal.ts";
import { Router, type Request } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { auditedChange } from "../../services/audit.ts";
import { listAfterSalesWindows, setAfterSalesWindow } from "../../services/disputes/afterSalesWindows.ts";
import { answerDispute, decideDispute, escalateDispute } from "../../services/disputes/decideDispute.ts";
import { disputeEvidence } from "../../services/disputes/disputeEvidence.ts";
import {
  disputeCategories,
  disputePartyOf,
  disputeView,
  loadDispute,
  requireParty,
  type DisputeParty,
  type DisputeRow,
} from "../../services/disputes/disputeRecord.ts";
import { listDisputes, listShopDisputes } from "../../services/disputes/listDisputes.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { openDispute } from "../../services/disputes/openDispute.ts";
import { shopReputation } from "../../services/disputes/shopReputation.ts";
import { loadOrderFor } from "../../services/orders/orderAccessCheck.ts";
import { requireSetting } from "../../../core/config.ts";
import { defineRoute } from "../route.ts";
import { idString, moneyMinor, multilineText, productCategories, singleLineText } from "../schemas.ts";
import { cursorParam, encodeCursor, idSortKey } from "../cursor.ts";
import {
  afterSalesWindowsSchema,
  disputePageSchema,
  disputeQueueSchema,
  disputeSchema,
  shopDisputePageSchema,
  shopReputationSchema,
} from "../responses/disputes.ts";

export const disputesMountPath = "/api";

const orderIdParam = z.string().regex(/^KL[0-9A-Z]{8,24}$/, "must be an order number such as KL1H2J3K4M5N6P7Q8");
const accessToken = z.string().max(100).optional();

export function disputesRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const pepper = requireSetting(ctx.config.secrets.queryPasswordPepper, "QUERY_PASSWORD_PEPPER", "Guests reach their disputes with the order's access token.");
  const settings = ctx.config.disputes;
  const disputeParams = z.strictObject({ disputeId: idString });

  /** The dispute and the party the caller is in it; not_found when the caller cannot see its order. */
  async function partyIn(req: Request, disputeId: bigint, token: string | undefined): Promise<{ dispute: DisputeRow; party: DisputeParty }> {
    const dispute = await loadDispute(db, disputeId);
    if (!dispute) throw new AppError("not_found", `No dispute ${disputeId} that you can see.`);
    const { viewer } = await loadOrderFor(db, pepper, dispute.order_id, { account: req.account, accessToken: token ?? req.get("x-order-token") }).catch(
      (error: unknown) => {
        if (error instanceof AppError && error.code === "not_found") throw new AppError("not_found", `No dispute ${disputeId} that you can see.`);
        throw error;
      },
    );
    return { dispute, party: disputePartyOf(viewer, req.account) };
  }

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "post",
      path: "/orders/:orderId/disputes",
      summary: "The buyer opens a dispute on a paid order within its after-sales window (guests: with the order's access token)",
      tags: ["disputes"],
      auth: "public",
      scope: "orders:write",
      status: 201,
      response: disputeSchema,
      params: z.strictObject({ orderId: orderIdParam }),
      body: z.strictObject({
        category: z.enum(disputeCategories),
        statement: multilineText({ min: 1, max: 4000 }),
        entitlementId: idString.optional(),
        ticketId: idString.optional().describe("The support ticket on this order that the dispute grows out of"),
        token: accessToken,
      }),
    },
    async ({ params, body, req }) => {
      const { order, viewer } = await loadOrderFor(db, pepper, params.orderId, { account: req.account, accessToken: body.token ?? req.get("x-order-token") });
      if (viewer !== "buyer") throw new AppError("forbidden", "Only the order's buyer can open a dispute on it.");
      const row = await openDispute(db, {
        orderId: order.id,
        buyerAccountId: req.account?.id ?? null,
        category: body.category,
        statement: body.statement,
        ticketId: body.ticketId === undefined ? undefined : BigInt(body.ticketId),
        entitlementId: body.entitlementId,
        escalationWindowSeconds: settings.escalationWindowSeconds,
      });
      return disputeView(db, row);
    },
  );

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "get",
      path: "/disputes/:disputeId",
      summary: "A dispute with its evidence (chain timeline, view log, ledger entries), for its buyer, its shop's merchant, admins and auditors",
      tags: ["disputes"],
      auth: "public",
      response: disputePageSchema,
      params: disputeParams,
      query: z.strictObject({ token: accessToken }),
    },
    async ({ params, query, req }) => {
      const { dispute, party } = await partyIn(req, params.disputeId, query.token);
      return { dispute: await disputeView(db, dispute), evidence: await disputeEvidence(db, ctx.keyRing, ctx.chain, dispute.order_id), party };
    },
  );

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "post",
      path: "/disputes/:disputeId/decision",
      summary: "Decide a dispute: refund (full or partial), replace the key, or reject with a reason (the merchant while open; an admin once escalated)",
      tags: ["disputes"],
      auth: ["merchant", "admin"],
      response: disputeSchema,
      params: disputeParams,
      body: z.discriminatedUnion("outcome", [
        z.strictObject({ outcome: z.literal("refund"), amountMinor: moneyMinor }),
        z.strictObject({ outcome: z.literal("replace") }),
        z.strictObject({ outcome: z.literal("reject"), reason: singleLineText({ min: 1, max: 500 }) }),
      ]),
    },
    async ({ params, body, req }) => {
      const { party } = await partyIn(req, params.disputeId, undefined);
      requireParty(party, ["merchant", "admin"], "decide a dispute");
      const row = await decideDispute(db, {
        disputeId: params.disputeId,
        decision: body,
        decidedBy: party as "merchant" | "admin",
        actorId: req.account!.id,
        settings: { platformFeeBps: ctx.config.orders.platformFeeBps },
      });
      // A replacement key is delivered here, not by the fulfilment worker: it goes under the buyer's
      // own data key the same way (api/keys/buyerSeal.ts), so the buyer's erasure shreds it too.
      if (body.outcome === "replace") await sealOrderKeysOrWarn(db, ctx.keyRing, ctx.logger, row.order_id);
      return disputeView(db, row);
    },
  );

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "post",
      path: "/disputes/:disputeId/escalate",
      summary:
        "Take the dispute to the platform's arbitration (the buyer or the merchant, before its escalation deadline); the other party must answer in time",
      tags: ["disputes"],
      auth: "public",
      response: disputeSchema,
      params: disputeParams,
      body: z.strictObject({ token: accessToken }),
    },
    async ({ params, body, req }) => {
      const { party } = await partyIn(req, params.disputeId, body.token);
      requireParty(party, ["buyer", "merchant"], "escalate a dispute");
      const row = await escalateDispute(db, {
        disputeId: params.disputeId,
        by: party as "buyer" | "merchant",
        actorId: req.account?.id ?? null,
        answerSeconds: settings.answerSeconds,
      });
      return disputeView(db, row);
    },
  );

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "post",
      path: "/disputes/:disputeId/answer",
      summary: "The party that did not escalate answers before the answer deadline (silence decides for the other side)",
      tags: ["disputes"],
      auth: "public",
      response: disputeSchema,
      params: disputeParams,
      body: z.strictObject({ answer: multilineText({ min: 1, max: 4000 }), token: accessToken }),
    },
    async ({ params, body, req }) => {
      const { party } = await partyIn(req, params.disputeId, body.token);
      requireParty(party, ["buyer", "merchant"], "answer a dispute");
      const row = await answerDispute(db, {
        disputeId: params.disputeId,
        by: party as "buyer" | "merchant",
        actorId: req.account?.id ?? null,
        answer: body.answer,
      });
      return disputeView(db, row);
    },
  );

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "get",
      path: "/admin/disputes",
      summary: "The platform's disputes queue, newest first (state=escalated: the arbitration queue)",
      tags: ["disputes", "admin"],
      auth: ["admin"],
      response: disputeQueueSchema,
      query: z.strictObject({
        state: z.enum(["open", "rejected", "escalated", "resolved"]).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ query }) => {
      const page = await listDisputes(db, { state: query.state, before: idSortKey(query.cursor), limit: query.limit });
      return { items: page.items, nextCursor: encodeCursor(page.nextBefore) };
    },
  );

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "get",
      path: "/shops/:shopId/disputes",
      summary: "The shop's disputes (its merchant), newest first, with each order's amount and the next deadline; optionally one state",
      tags: ["disputes", "merchant"],
      auth: ["merchant", "admin"],
      response: shopDisputePageSchema,
      params: z.strictObject({ shopId: idString }),
      query: z.strictObject({
        state: z.enum(["open", "rejected", "escalated", "resolved"]).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ params, query, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const page = await listShopDisputes(db, { shopId: params.shopId, state: query.state, before: idSortKey(query.cursor), limit: query.limit });
      return { items: page.items, nextCursor: encodeCursor(page.nextBefore) };
    },
  );

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "get",
      path: "/shops/:shopId/reputation",
      summary: "A shop's after-sales reputation: dispute rate, refund rate, median first reply, and whether its new sales are held longer",
      tags: ["shops", "disputes"],
      auth: "public",
      response: shopReputationSchema,
      params: z.strictObject({ shopId: idString }),
    },
    async ({ params }) => shopReputation(db, params.shopId, settings.reputation),
  );

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "get",
      path: "/admin/after-sales-windows",
      summary: "The after-sales window of each product category: how long proceeds are held and disputes can be opened",
      tags: ["disputes", "admin"],
      auth: ["admin"],
      response: afterSalesWindowsSchema,
    },
    async () => ({ items: await listAfterSalesWindows(db) }),
  );

  defineRoute(
    router,
    disputesMountPath,
    {
      method: "put",
      path: "/admin/after-sales-windows/:category",
      summary: "Set a category's after-sales window (applies to proceeds held from then on; audited)",
      tags: ["disputes", "admin"],
      auth: ["admin"],
      response: afterSalesWindowsSchema,
      params: z.strictObject({ category: z.enum(productCategories) }),
      body: z.strictObject({
        windowSeconds: z
          .number()
          .int()
          .min(0)
          .max(365 * 24 * 3600),
      }),
    },
    async ({ params, body, account }) => {
      await auditedChange(
        db,
        (tx) => setAfterSalesWindow(tx, { category: params.category, windowSeconds: body.windowSeconds }),
        () => ({
          accountId: account!.id,
          action: "disputes.after_sales_window_set",
          subject: `category:${params.category}`,
          details: { windowSeconds: body.windowSeconds },
        }),
      );
      return { items: await listAfterSalesWindows(db) };
    },
  );

  return router;
}
