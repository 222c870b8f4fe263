// Resale routes (docs/resale.md): listings, purchases paid through the platform's EPay
// merchant, the owner's entitlements and reveal, revocation, and the public timeline.
import express, { Router, type Request } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { cancelListing } from "../../services/resale/cancelListing.ts";
import { createListing } from "../../services/resale/createListing.ts";
import { createPurchase } from "../../services/resale/createPurchase.ts";
import { entitlementTimeline } from "../../services/resale/entitlementTimeline.ts";
import { holderCertificate } from "../../services/resale/holderCertificate.ts";
import { getPurchase } from "../../services/resale/getPurchase.ts";
import { holderSalt } from "../../services/resale/holderId.ts";
import { listListings } from "../../services/resale/listListings.ts";
import { listOwnedEntitlements } from "../../services/resale/listOwnedEntitlements.ts";
import { resaleEpayMerchant } from "../../services/resale/resalePayments.ts";
import { revealOwnedEntitlement } from "../../services/resale/revealOwnedEntitlement.ts";
import { revokeEntitlement } from "../../services/resale/revokeEntitlement.ts";
import { handleResaleNotify } from "../../services/resale/settleResalePayment.ts";
import { defineRoute } from "../route.ts";
import { rentalNow } from "../../services/rentals/rentalClock.ts";
import { currencyCode, idString, moneyMinor, singleLineText } from "../schemas.ts";
import { cursorParam, idSortKey, opaque } from "../cursor.ts";
import { textBody } from "../responses/common.ts";
import { certificateSchema } from "../../../core/keys/certificateSchema.ts";
import {
  cancelledListingSchema,
  entitlementTimelineSchema,
  listingPageSchema,
  listingSchema,
  ownedEntitlementPageSchema,
  resalePurchaseSchema,
  revealedEntitlementSchema,
  revocationSchema,
} from "../responses/resale.ts";

export const resaleMountPath = "/api";

const epayParams = z.record(z.string().regex(/^[a-z_]{1,32}$/), z.string().max(512)).refine((value) => Object.keys(value).length <= 32, "too many parameters");
const purchaseIdParam = z.string().regex(/^RS[0-9A-Z]{8,32}$/, "must be a resale purchase id such as RSMI2K3L4M5A1B2C3D4E5");

export function resaleRouter(ctx: AppContext, settings: { queryPasswordPepper: string }): Router {
  const router = Router();
  const db = ctx.database.db;
  const custodian = ctx.chain?.custodian;
  const salt = holderSalt(settings.queryPasswordPepper);
  // Links come from PUBLIC_URL, never from the request's Host header.
  const apiBaseUrl = (_req: Request) => ctx.config.http.publicUrl;
  const pageSizeMax = ctx.config.resale.pageSizeMax;

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "get",
      path: "/resale/listings",
      summary: "Active resale listings of a product, with provenance (anchored, issued, transfer count)",
      tags: ["resale"],
      auth: "public",
      response: listingPageSchema,
      query: z.strictObject({
        productId: idString,
        limit: z.coerce.number().int().min(1).max(pageSizeMax).default(Math.min(50, pageSizeMax)),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ query }) => opaque(await listListings(db, { productId: query.productId, afterId: idSortKey(query.cursor), limit: query.limit })),
  );

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "post",
      path: "/resale/listings",
      summary: "List a sealed entitlement you own (in custody) at a price in the product's currency",
      tags: ["resale"],
      auth: "account",
      status: 201,
      response: listingSchema,
      body: z.strictObject({ entitlementId: idString, priceMinor: moneyMinor.refine((value) => value > 0n, "must be positive"), currency: currencyCode }),
    },
    async ({ body, account }) =>
      createListing(db, { custodian, royaltyReceiverFallback: ctx.chain?.custodian, now: await rentalNow(ctx.chain) }, { accountId: account!.id, ...body }),
  );

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "post",
      path: "/resale/listings/:listingId/cancel",
      summary: "Cancel your active listing",
      tags: ["resale"],
      auth: "account",
      response: cancelledListingSchema,
      params: z.strictObject({ listingId: idString }),
    },
    async ({ params, account }) => cancelListing(db, { accountId: account!.id, listingId: params.listingId }),
  );

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "post",
      path: "/resale/listings/:listingId/purchases",
      summary: "Check out a listing: reserves it for you until the checkout expires; pay through the returned EPay URL",
      tags: ["resale"],
      auth: "account",
      status: 201,
      response: resalePurchaseSchema,
      params: z.strictObject({ listingId: idString }),
    },
    async ({ params, account, req }) =>
      createPurchase(
        db,
        { expirySeconds: ctx.config.resale.purchaseExpirySeconds, merchant: resaleEpayMerchant(ctx.config, apiBaseUrl(req)), apiBaseUrl: apiBaseUrl(req) },
        { buyerAccountId: account!.id, listingId: params.listingId },
      ),
  );

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "get",
      path: "/resale/purchases/:purchaseId",
      summary: "Your resale purchase and its state (awaiting_payment, settled, expired, refund_pending)",
      tags: ["resale"],
      auth: "account",
      response: resalePurchaseSchema,
      params: z.strictObject({ purchaseId: purchaseIdParam }),
    },
    async ({ params, account, req }) =>
      getPurchase(
        db,
        { merchant: resaleEpayMerchant(ctx.config, apiBaseUrl(req)), apiBaseUrl: apiBaseUrl(req) },
        { purchaseId: params.purchaseId, buyerAccountId: account!.id },
      ),
  );

  router.use("/resale/payments/epay/notify", express.urlencoded({ extended: false, limit: "16kb" }));
  for (const method of ["get", "post"] as const) {
    defineRoute(
      router,
      resaleMountPath,
      {
        method,
        path: "/resale/payments/epay/notify",
        summary: "EPay notification for resale purchases (the platform's merchant; signed, MD5 rule); answers `success`",
        tags: ["resale", "payments"],
        auth: "public",
        response: textBody.describe("Exactly `success`"),
        responseType: "text/plain",
      },
      async ({ req }) => {
        const parsed = epayParams.safeParse((method === "get" ? req.query : req.body) ?? {});
        if (!parsed.success) throw new AppError("validation_failed", "EPay parameters must be short strings.");
        await handleResaleNotify(
          db,
          {
            merchant: resaleEpayMerchant(ctx.config, apiBaseUrl(req)),
            holderSalt: salt,
            holdSeconds: ctx.config.resale.holdSeconds,
            platformFeeBps: ctx.config.orders.platformFeeBps,
            custodian,
          },
          parsed.data,
        );
        // Every recorded outcome (settled, refund path, replay) is final for the gateway.
        return "success";
      },
    );
  }

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "get",
      path: "/me/entitlements",
      summary: "Entitlements you own (in custody or in your linked wallets), newest first; never codes",
      tags: ["resale"],
      auth: "account",
      response: ownedEntitlementPageSchema,
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(pageSizeMax).default(Math.min(50, pageSizeMax)), cursor: cursorParam.optional() }),
    },
    async ({ account, query }) =>
      opaque(await listOwnedEntitlements(db, { accountId: account!.id, custodian, beforeId: idSortKey(query.cursor), limit: query.limit })),
  );

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "post",
      path: "/entitlements/:entitlementId/reveal",
      summary: "Reveal the code of an entitlement you own in custody (redemption: recorded on-chain, the token is locked)",
      tags: ["resale"],
      auth: "account",
      response: revealedEntitlementSchema,
      params: z.strictObject({ entitlementId: idString }),
    },
    async ({ params, account }) =>
      revealOwnedEntitlement(db, ctx.keyRing, { custodian, now: await rentalNow(ctx.chain) }, { accountId: account!.id, entitlementId: params.entitlementId }),
  );

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "get",
      path: "/entitlements/:entitlementId/certificate",
      summary: "The certificate of an entitlement you hold in custody (bought or resold to you); the salt only once you revealed the code",
      tags: ["resale", "verify"],
      auth: "account",
      response: certificateSchema,
      params: z.strictObject({ entitlementId: idString }),
    },
    async ({ params, account }) => holderCertificate(db, ctx.chain, { accountId: account!.id, entitlementId: params.entitlementId }),
  );

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "post",
      path: "/entitlements/:entitlementId/revoke",
      summary: "Revoke an entitlement of your shop (merchant) or any (admin): recorded on-chain, listing pulled, resale proceeds in the window returned",
      tags: ["resale"],
      auth: ["merchant", "admin"],
      response: revocationSchema,
      params: z.strictObject({ entitlementId: idString }),
      body: z.strictObject({ reason: singleLineText({ max: 500 }).pipe(z.string().min(3, "must say why (at least 3 characters)")) }),
    },
    async ({ params, body, account }) => revokeEntitlement(db, account!, { entitlementId: params.entitlementId, reason: body.reason }),
  );

  defineRoute(
    router,
    resaleMountPath,
    {
      method: "get",
      path: "/entitlements/:entitlementId/timeline",
      summary: "Public provenance timeline: anchored, sold, issued, each transfer, redeemed or revoked, with transaction hashes and times",
      tags: ["resale", "chain"],
      auth: "public",
      response: entitlementTimelineSchema,
      params: z.strictObject({ entitlementId: idString }),
    },
    async ({ params }) => entitlementTimeline(db, ctx.chain, { entitlementId: params.entitlementId, limit: pageSizeMax }),
  );

  return router;
}
