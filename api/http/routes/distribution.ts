// Distribution (docs/distribution.md): the merchant's agent invitations, markup bounds and
// commission rates; an agent's sub-store and the products it carries; referral links; the
// agent console and distributor payouts (approved with the shops' payouts, /ledger/payouts/…).
import { randomUUID } from "node:crypto";
import { Router } from "express";
import { z } from "zod";
import { AppError } from "../../../core/errors.ts";
import type { AppContext } from "../../context.ts";
import { auditedChange } from "../../services/audit.ts";
import { agentOverview } from "../../services/distribution/agentConsole.ts";
import {
  acceptAgentInvitation,
  carryProduct,
  createAgentInvitation,
  setCarriedMarkup,
  setMarkupBounds,
  substoreStorefront,
} from "../../services/distribution/agents.ts";
import { setCommissionRates, shareCommissionOf } from "../../services/distribution/commissions.ts";
import { attachReferral } from "../../services/distribution/referrals.ts";
import { requestReviewedDistributorPayout } from "../../services/distribution/reviewedPayouts.ts";
import { checkoutProduct } from "../../services/orders/productCache.ts";
import { getProduct } from "../../services/products/products.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { defineRoute } from "../route.ts";
import { displayName, idString, moneyMinor, payoutRequestBody } from "../schemas.ts";
import { payoutRequestedSchema } from "../responses/ledger.ts";
import {
  agentInvitationSchema,
  agentOverviewSchema,
  carriedProductSchema,
  commissionRatesSchema,
  markupBoundsSchema,
  referralAttachedSchema,
  shareCommissionSchema,
  substoreSchema,
  substoreStorefrontSchema,
} from "../responses/distribution.ts";

export const distributionMountPath = "/api";

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{2,39}$/, "must be 3-40 lower-case letters, digits or '-', starting with a letter or digit");
const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like "#1a7f5a"');
// Any whole number: the service answers commission_rates_invalid for negatives and sums over 100%.
const levelsBps = z.array(z.number().int("must be a whole number of basis points")).max(3, "at most 3 levels are paid");
const referralCode = z.string().regex(/^[0-9A-Za-z]{10}$/, "must be the 10-character code of a referral link");

export function distributionRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const merchant = ["merchant", "admin"] as ("merchant" | "admin")[];

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "post",
      path: "/shops/:shopId/agent-invitations",
      summary: "Invite an agent: a link (shown once) that an account accepts to open a sub-store of this shop",
      tags: ["distribution"],
      auth: merchant,
      status: 201,
      response: agentInvitationSchema,
      params: z.strictObject({ shopId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const invitation = await createAgentInvitation(db, {
        shopId: params.shopId,
        accountId: account!.id,
        validHours: ctx.config.distribution.invitationHours,
      });
      return {
        invitationId: String(invitation.invitationId),
        token: invitation.token,
        url: `${ctx.config.http.publicUrl}/agent/join?token=${invitation.token}`,
        expiresAt: invitation.expiresAt,
      };
    },
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "post",
      path: "/agent-invitations/accept",
      summary: "Accept an agent invitation: opens the caller's sub-store (slug, name, colour) of the inviting shop",
      tags: ["distribution"],
      auth: "account",
      status: 201,
      response: substoreSchema,
      body: z.strictObject({ token: z.string().min(10).max(100), slug, name: displayName({ max: 60 }), colour }),
    },
    async ({ body, account }) => acceptAgentInvitation(db, { ...body, accountId: account!.id, planLimits: ctx.config.merchants.saas.limitsEnforced }),
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "put",
      path: "/products/:productId/agent-markup",
      summary: "Set the bounds of an agent's markup per unit on a product (null: not offered to agents)",
      tags: ["distribution"],
      auth: merchant,
      response: markupBoundsSchema,
      params: z.strictObject({ productId: idString }),
      body: z.strictObject({ bounds: z.strictObject({ markupMinMinor: moneyMinor, markupMaxMinor: moneyMinor }).nullable() }),
    },
    async ({ params, body, account }) => {
      const product = await getProduct(db, params.productId);
      await assertShopManager(db, BigInt(product.shopId), account!);
      return setMarkupBounds(db, { productId: params.productId, accountId: account!.id, bounds: body.bounds });
    },
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "put",
      path: "/shops/:shopId/commission-rates",
      summary: "Set the shop's commission rates for up to three referral levels, in basis points (or a product's override; null clears it)",
      tags: ["distribution"],
      auth: merchant,
      response: commissionRatesSchema,
      params: z.strictObject({ shopId: idString }),
      body: z.strictObject({ productId: idString.optional(), levelsBps: levelsBps.nullable() }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      if (body.levelsBps === null && body.productId === undefined) {
        throw new AppError("validation_failed", "Only a product's override can be cleared; set the shop's rates to [0, 0, 0] to pay no commission.", {
          details: [{ path: "levelsBps" }],
        });
      }
      return setCommissionRates(db, { shopId: params.shopId, productId: body.productId, accountId: account!.id, levelsBps: body.levelsBps });
    },
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "post",
      path: "/substores/:substoreId/products",
      summary: "Carry one of the merchant's products in the caller's sub-store, with a markup per unit within the merchant's bounds",
      tags: ["distribution"],
      auth: "account",
      status: 201,
      response: carriedProductSchema,
      params: z.strictObject({ substoreId: idString }),
      body: z.strictObject({ productId: idString, markupMinor: moneyMinor }),
    },
    async ({ params, body, account }) => carryProduct(db, { substoreId: params.substoreId, accountId: account!.id, ...body }),
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "put",
      path: "/substores/:substoreId/products/:productId",
      summary: "Change the markup per unit of a product the caller's sub-store carries",
      tags: ["distribution"],
      auth: "account",
      response: carriedProductSchema,
      params: z.strictObject({ substoreId: idString, productId: idString }),
      body: z.strictObject({ markupMinor: moneyMinor }),
    },
    async ({ params, body, account }) => setCarriedMarkup(db, { ...params, accountId: account!.id, markupMinor: body.markupMinor }),
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "get",
      path: "/substores/:slug",
      summary: "A sub-store's storefront: its name, colour and products at the merchant's price plus the agent's markup",
      tags: ["distribution"],
      auth: "public",
      response: substoreStorefrontSchema,
      params: z.strictObject({ slug }),
    },
    async ({ params }) => substoreStorefront(db, params.slug),
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "post",
      path: "/shops/:shopId/referrals",
      summary: "Attach the signed-in buyer to the referrer of a link it followed (first touch; loops refused)",
      tags: ["distribution"],
      auth: "account",
      response: referralAttachedSchema,
      params: z.strictObject({ shopId: idString }),
      body: z.strictObject({ code: referralCode }),
    },
    async ({ params, body, account }) =>
      attachReferral(db, { shopId: params.shopId, buyerAccountId: account!.id, code: body.code, validDays: ctx.config.distribution.referralDays }),
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "get",
      path: "/products/:productId/share-commission",
      summary: "Share-to-earn: the first-level commission rate a buyer sharing this product's link would earn on a sale through it",
      tags: ["distribution"],
      auth: "public",
      response: shareCommissionSchema,
      params: z.strictObject({ productId: idString }),
    },
    async ({ params }) => {
      await getProduct(db, params.productId);
      return shareCommissionOf(db, await checkoutProduct(db, params.productId));
    },
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "get",
      path: "/agent/overview",
      summary: "The caller's distribution: balances, latest earnings, referred buyers (masked), sub-stores and referral code",
      tags: ["distribution"],
      auth: "account",
      scope: "ledger:read",
      response: agentOverviewSchema,
    },
    async ({ account }) => agentOverview(db, account!.id),
  );

  defineRoute(
    router,
    distributionMountPath,
    {
      method: "post",
      path: "/agent/payouts",
      summary:
        "Request a payout of released earnings: held until an admin approves or rejects it (/ledger/payouts/{payoutId}/approve), or it expires; amlReview lists the AML rules that hold it for review",
      tags: ["distribution"],
      auth: "account",
      status: 201,
      response: payoutRequestedSchema,
      body: payoutRequestBody,
    },
    async ({ body, account }) => {
      const expiresAt = new Date(Date.now() + ctx.config.ledger.payoutHoldSeconds * 1000);
      const requestId = body.requestId ?? randomUUID();
      const accountId = account!.id;
      const payout = await auditedChange(
        db,
        // The AML payout rules, as for a shop's payout, in this transaction (docs/compliance.md).
        (tx) =>
          requestReviewedDistributorPayout(tx, ctx.config.compliance.aml, {
            accountId,
            requestId,
            amountMinor: body.amountMinor,
            currency: body.currency,
            expiresAt,
            wallet: body.wallet,
          }),
        (result) =>
          result.created
            ? {
                accountId: account!.id,
                action: "distribution.payout_requested",
                subject: `payout:${result.payoutId}`,
                details: { amountMinor: body.amountMinor.toString(), currency: body.currency },
              }
            : undefined,
      ).catch((error: unknown) => {
        if (error instanceof AppError && error.code === "insufficient_funds") {
          throw new AppError(
            "insufficient_funds",
            `You have less than ${body.amountMinor} ${body.currency} payable. Ask for at most the payable amount (GET /agent/overview); earnings become payable when the chargeback window after the sale ends.`,
          );
        }
        throw error;
      });
      return {
        payoutId: payout.payoutId,
        holdId: String(payout.holdId),
        transactionId: String(payout.transactionId),
        created: payout.created,
        expiresAt,
        amlReview: payout.amlReview,
      };
    },
  );

  return router;
}
