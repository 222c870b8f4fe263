// Rental routes (docs/rentals.md): offers to rent sealed entitlements, rentals paid through the
// platform's EPay merchant (the resale merchant, its own notification route), and the renter's
// use of the content during the term.
import express, { Router, type Request } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { cancelRentalListing } from "../../services/rentals/cancelRentalListing.ts";
import { createRental, getRental } from "../../services/rentals/createRental.ts";
import { createRentalListing, rentalDaysMax } from "../../services/rentals/createRentalListing.ts";
import { listRentalListings } from "../../services/rentals/listRentalListings.ts";
import { rentalNow } from "../../services/rentals/rentalClock.ts";
import { handleRentalNotify } from "../../services/rentals/settleRentalPayment.ts";
import { useRentedEntitlement } from "../../services/rentals/useRentedEntitlement.ts";
import { holderSalt } from "../../services/resale/holderId.ts";
import { resaleEpayMerchant } from "../../services/resale/resalePayments.ts";
import { defineRoute } from "../route.ts";
import { currencyCode, idString, moneyMinor } from "../schemas.ts";
import { cursorParam, idSortKey, opaque } from "../cursor.ts";
import { textBody } from "../responses/common.ts";
import { cancelledRentalListingSchema, rentalListingPageSchema, rentalListingSchema, rentalSchema, rentedEntitlementUseSchema } from "../responses/rentals.ts";

export const rentalsMountPath = "/api";

const epayParams = z.record(z.string().regex(/^[a-z_]{1,32}$/), z.string().max(512)).refine((value) => Object.keys(value).length <= 32, "too many parameters");
const rentalIdParam = z.string().regex(/^RT[0-9A-Z]{8,32}$/, "must be a rental id such as RTMI2K3L4M5A1B2C3D4E5");
const days = z.number().int().min(1).max(rentalDaysMax);

export function rentalsRouter(ctx: AppContext, settings: { queryPasswordPepper: string }): Router {
  const router = Router();
  const db = ctx.database.db;
  const custodian = ctx.chain?.custodian;
  const salt = holderSalt(settings.queryPasswordPepper);
  // Links come from PUBLIC_URL, never from the request's Host header.
  const apiBaseUrl = (_req: Request) => ctx.config.http.publicUrl;
  const payment = (req: Request) => ({ merchant: resaleEpayMerchant(ctx.config, apiBaseUrl(req)), apiBaseUrl: apiBaseUrl(req) });
  const pageSizeMax = ctx.config.resale.pageSizeMax;

  defineRoute(
    router,
    rentalsMountPath,
    {
      method: "get",
      path: "/rentals/listings",
      summary: "Active rental offers of a product: price per day, term bounds, token id",
      tags: ["rentals"],
      auth: "public",
      response: rentalListingPageSchema,
      query: z.strictObject({
        productId: idString,
        limit: z.coerce.number().int().min(1).max(pageSizeMax).default(Math.min(50, pageSizeMax)),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ query }) => opaque(await listRentalListings(db, { productId: query.productId, afterId: idSortKey(query.cursor), limit: query.limit })),
  );

  defineRoute(
    router,
    rentalsMountPath,
    {
      method: "post",
      path: "/rentals/listings",
      summary: "Offer a sealed entitlement you own (in custody) for rent: price per day, minimum and maximum days (products that allow rental use only)",
      tags: ["rentals"],
      auth: "account",
      status: 201,
      response: rentalListingSchema,
      body: z.strictObject({
        entitlementId: idString,
        pricePerDayMinor: moneyMinor.refine((value) => value > 0n, "must be positive"),
        currency: currencyCode,
        minDays: days,
        maxDays: days,
      }),
    },
    async ({ body, account }) => createRentalListing(db, { custodian, now: await rentalNow(ctx.chain) }, { accountId: account!.id, ...body }),
  );

  defineRoute(
    router,
    rentalsMountPath,
    {
      method: "post",
      path: "/rentals/listings/:listingId/cancel",
      summary: "Cancel your active rental offer",
      tags: ["rentals"],
      auth: "account",
      response: cancelledRentalListingSchema,
      params: z.strictObject({ listingId: idString }),
    },
    async ({ params, account }) => cancelRentalListing(db, { accountId: account!.id, listingId: params.listingId }),
  );

  defineRoute(
    router,
    rentalsMountPath,
    {
      method: "post",
      path: "/rentals/listings/:listingId/rentals",
      summary: "Rent an offer for a number of days within its bounds: reserves it until the checkout expires; pay through the returned EPay URL",
      tags: ["rentals"],
      auth: "account",
      status: 201,
      response: rentalSchema,
      params: z.strictObject({ listingId: idString }),
      body: z.strictObject({ days }),
    },
    async ({ params, body, account, req }) =>
      createRental(
        db,
        { ...payment(req), expirySeconds: ctx.config.resale.purchaseExpirySeconds },
        { renterAccountId: account!.id, listingId: params.listingId, days: body.days },
      ),
  );

  defineRoute(
    router,
    rentalsMountPath,
    {
      method: "get",
      path: "/rentals/:rentalId",
      summary: "Your rental: its state, term and on-chain state",
      tags: ["rentals"],
      auth: "account",
      response: rentalSchema,
      params: z.strictObject({ rentalId: rentalIdParam }),
    },
    async ({ params, account, req }) => getRental(db, payment(req), { rentalId: params.rentalId, renterAccountId: account!.id }),
  );

  router.use("/rentals/payments/epay/notify", express.urlencoded({ extended: false, limit: "16kb" }));
  for (const method of ["get", "post"] as const) {
    defineRoute(
      router,
      rentalsMountPath,
      {
        method,
        path: "/rentals/payments/epay/notify",
        summary: "EPay notification for rentals (the platform's merchant; signed, MD5 rule); answers `success`",
        tags: ["rentals", "payments"],
        auth: "public",
        response: textBody.describe("Exactly `success`"),
        responseType: "text/plain",
      },
      async ({ req }) => {
        const parsed = epayParams.safeParse((method === "get" ? req.query : req.body) ?? {});
        if (!parsed.success) throw new AppError("validation_failed", "EPay parameters must be short strings.");
        await handleRentalNotify(
          db,
          { ...payment(req), holderSalt: salt, platformFeeBps: ctx.config.orders.platformFeeBps, custodian, now: await rentalNow(ctx.chain) },
          parsed.data,
        );
        // Every recorded outcome (settled, refund path, replay) is final for the gateway.
        return "success";
      },
    );
  }

  defineRoute(
    router,
    rentalsMountPath,
    {
      method: "post",
      path: "/entitlements/:entitlementId/use",
      summary: "Use an entitlement you rent: its content, during the term, once the chain names you its user (the token stays sealed)",
      tags: ["rentals"],
      auth: "account",
      response: rentedEntitlementUseSchema,
      params: z.strictObject({ entitlementId: idString }),
    },
    async ({ params, account }) =>
      useRentedEntitlement(db, ctx.keyRing, { now: await rentalNow(ctx.chain) }, { accountId: account!.id, entitlementId: params.entitlementId }),
  );

  return router;
}
