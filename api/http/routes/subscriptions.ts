// Subscription routes (docs/subscriptions.md): a merchant's plan for a product, the plan shown on
// the product page, and a buyer's subscriptions: list, read, renew from the balance, cancel,
// automatic renewal on or off. The clock is the chain's (rentalNow), as for rentals.
import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { rentalNow } from "../../services/rentals/rentalClock.ts";
import { findPlan, setPlan } from "../../services/subscriptions/plans.ts";
import { subscriptionDeliveries, subscriptionPeriods } from "../../services/subscriptions/subscriptionRules.ts";
import { cancelSubscription, getMySubscription, listMySubscriptions, renewSubscription, setAutoRenew } from "../../services/subscriptions/subscriptions.ts";
import { upgradeSubscription } from "../../services/subscriptions/upgrades.ts";
import { getWalletMandate, recordWalletMandate } from "../../services/subscriptions/walletMandates.ts";
import { defineRoute } from "../route.ts";
import { idString } from "../schemas.ts";
import { cursorParam, idSortKey, opaque } from "../cursor.ts";
import {
  productSubscriptionPlanSchema,
  subscriptionPageSchema,
  subscriptionPlanSchema,
  subscriptionSchema,
  subscriptionUpgradeSchema,
  walletMandateSchema,
} from "../responses/subscriptions.ts";

export const subscriptionsMountPath = "/api";

export function subscriptionsRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const pageSizeMax = ctx.config.resale.pageSizeMax;
  const subscriptionParams = z.strictObject({ subscriptionId: idString });

  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "put",
      path: "/products/:productId/subscription-plan",
      summary: "Sell your product per period: the period (week, month, quarter, year), the delivery and the grace days; the product's price is one period's",
      tags: ["subscriptions"],
      auth: ["merchant", "admin"],
      response: subscriptionPlanSchema,
      params: z.strictObject({ productId: idString }),
      body: z.strictObject({
        period: z.enum(subscriptionPeriods),
        delivery: z.enum(subscriptionDeliveries),
        graceDays: z.number().int().min(0).max(30).default(3),
      }),
    },
    async ({ params, body, account }) => setPlan(db, account!, params.productId, body),
  );

  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "get",
      path: "/products/:productId/subscription-plan",
      summary: "A product's subscription plan: its period and the price of one period (plan null when it is not sold by subscription)",
      tags: ["subscriptions"],
      auth: "public",
      response: productSubscriptionPlanSchema,
      params: z.strictObject({ productId: idString }),
    },
    async ({ params }) => ({ plan: (await findPlan(db, params.productId)) ?? null }),
  );

  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "get",
      path: "/subscriptions",
      summary: "Your subscriptions: state, paid until (in the database and on-chain), price per period",
      tags: ["subscriptions"],
      auth: "account",
      response: subscriptionPageSchema,
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(pageSizeMax).default(Math.min(50, pageSizeMax)),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ query, account }) => opaque(await listMySubscriptions(db, account!.id, { afterId: idSortKey(query.cursor), limit: query.limit })),
  );

  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "get",
      path: "/subscriptions/:subscriptionId",
      summary: "Your subscription",
      tags: ["subscriptions"],
      auth: "account",
      response: subscriptionSchema,
      params: subscriptionParams,
    },
    async ({ params, account }) => getMySubscription(db, account!.id, params.subscriptionId),
  );

  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "post",
      path: "/subscriptions/:subscriptionId/renew",
      summary:
        "Renew now: the next period is charged from your platform balance (409 insufficient_funds when it is short; 409 invalid_state when cancelled, expired beyond grace or the period is already paid)",
      tags: ["subscriptions"],
      auth: "account",
      response: subscriptionSchema,
      params: subscriptionParams,
      body: z.strictObject({ periodIndex: z.number().int().min(1).max(100_000).optional() }),
    },
    async ({ params, body, account }) =>
      renewSubscription(db, {
        accountId: account!.id,
        subscriptionId: params.subscriptionId,
        now: await rentalNow(ctx.chain),
        platformFeeBps: ctx.config.orders.platformFeeBps,
        periodIndex: body.periodIndex,
      }),
  );

  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "post",
      path: "/subscriptions/:subscriptionId/cancel",
      summary: "Cancel: no more renewals; the paid period runs to its end",
      tags: ["subscriptions"],
      auth: "account",
      response: subscriptionSchema,
      params: subscriptionParams,
    },
    async ({ params, account }) => cancelSubscription(db, { accountId: account!.id, subscriptionId: params.subscriptionId }),
  );

  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "put",
      path: "/subscriptions/:subscriptionId/auto-renew",
      summary: "Turn automatic renewal from your balance on or off",
      tags: ["subscriptions"],
      auth: "account",
      response: subscriptionSchema,
      params: subscriptionParams,
      body: z.strictObject({ autoRenew: z.boolean() }),
    },
    async ({ params, body, account }) => setAutoRenew(db, { accountId: account!.id, subscriptionId: params.subscriptionId, autoRenew: body.autoRenew }),
  );

  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "post",
      path: "/subscriptions/:subscriptionId/upgrade",
      summary:
        "Upgrade to a dearer plan of the same shop and period: pay the prorated difference for what is left of this period from your balance (floor of difference × seconds left / period); renewals then cost the new price",
      tags: ["subscriptions"],
      auth: "account",
      response: subscriptionUpgradeSchema,
      params: subscriptionParams,
      body: z.strictObject({ productId: idString }),
    },
    async ({ params, body, account }) =>
      upgradeSubscription(db, {
        accountId: account!.id,
        subscriptionId: params.subscriptionId,
        productId: body.productId,
        now: await rentalNow(ctx.chain),
        platformFeeBps: ctx.config.orders.platformFeeBps,
      }),
  );

  // Renewal by wallet pull (docs/subscriptions.md): the mandate's terms, and recording the
  // mandate the buyer's wallet created (read back on-chain before anything is written).
  const mandateSettings = { chain: ctx.chain, stablecoinCurrency: ctx.config.chain.stablecoinCurrency };
  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "get",
      path: "/subscriptions/:subscriptionId/wallet-mandate",
      summary: "Renewal from your wallet: the mandate terms your wallet creates on the payment contract (cap per period = the price), and the mandate recorded",
      tags: ["subscriptions"],
      auth: "account",
      response: walletMandateSchema,
      params: subscriptionParams,
    },
    async ({ params, account }) => getWalletMandate(db, mandateSettings, { accountId: account!.id, subscriptionId: params.subscriptionId }),
  );

  defineRoute(
    router,
    subscriptionsMountPath,
    {
      method: "post",
      path: "/subscriptions/:subscriptionId/wallet-mandate",
      summary:
        "Renew from your wallet: record the mandate your linked wallet created on-chain (read back: token, cap, schedule, next period, not cancelled; allowance of at least one period), 409 when it differs",
      tags: ["subscriptions"],
      auth: "account",
      response: walletMandateSchema,
      params: subscriptionParams,
      body: z.strictObject({
        payer: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x address of 40 hex digits"),
        subscriptionRef: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 bytes as 0x and 64 hex digits"),
      }),
      status: 201,
    },
    async ({ params, body, account }) =>
      recordWalletMandate(db, mandateSettings, {
        accountId: account!.id,
        subscriptionId: params.subscriptionId,
        payer: body.payer as `0x${string}`,
        subscriptionRef: body.subscriptionRef as `0x${string}`,
      }),
  );

  return router;
}
