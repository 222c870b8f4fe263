// Currencies (docs/currencies.md): the platform's rates (public; an admin sets the manual table or
// refreshes the feed), the currencies a shop accepts, and a shop's conversion of its payable
// through the platform's FX account. Thin: validate, call a service, answer.
import { randomUUID } from "node:crypto";
import { Router } from "express";
import { z } from "zod";
import { AppError } from "../../../core/errors.ts";
import type { AppContext } from "../../context.ts";
import { postFxConversion } from "../../ledger/fxConversion.ts";
import { auditedChange } from "../../services/audit.ts";
import { placeProceedsHolds } from "../../services/disputes/proceedsHolds.ts";
import { acceptedCurrencies, acceptedCurrenciesMax, setAcceptedCurrencies } from "../../services/fx/checkoutCurrency.ts";
import { conversionOf, listFxRates, refreshFeedRates, setManualRate } from "../../services/fx/rates.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { defineRoute } from "../route.ts";
import { currencyCode, idString, moneyMinor } from "../schemas.ts";
import { acceptedCurrenciesSchema, fxConversionSchema, fxRateSchema, fxRatesSchema, fxRefreshSchema } from "../responses/currencies.ts";

export const currenciesMountPath = "/api";

export function currenciesRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const fx = ctx.config.merchants.fx;
  const shopParams = z.strictObject({ shopId: idString });

  defineRoute(
    router,
    currenciesMountPath,
    {
      method: "get",
      path: "/fx-rates",
      summary: "The platform's exchange rates (CNY per unit of each currency) that quotes and checkouts in another currency use",
      tags: ["currencies"],
      auth: "public",
      response: fxRatesSchema,
    },
    async () => ({
      rates: await listFxRates(db),
      source: fx.feedUrl ? ("feed" as const) : ("manual" as const),
      stablecoin: fx.stablecoin.currency,
      stablecoinDecimals: fx.stablecoin.decimals,
    }),
  );

  defineRoute(
    router,
    currenciesMountPath,
    {
      method: "put",
      path: "/admin/fx-rates/:currency",
      summary: "Set a currency's rate in the manual table (admin, audited): CNY per major unit, up to 12 decimal places",
      tags: ["admin"],
      auth: ["admin"],
      response: fxRateSchema,
      params: z.strictObject({ currency: currencyCode }),
      body: z.strictObject({ cnyPerUnit: z.string().max(40) }),
    },
    async ({ params, body, account }) => setManualRate(db, fx, { currency: params.currency, cnyPerUnit: body.cnyPerUnit, adminId: account!.id }),
  );

  defineRoute(
    router,
    currenciesMountPath,
    {
      method: "post",
      path: "/admin/fx-rates/refresh",
      summary: "Fetch the rate feed (FX_RATE_FEED_URL) now and write its rates (admin, audited)",
      tags: ["admin"],
      auth: ["admin"],
      response: fxRefreshSchema,
    },
    async ({ account }) => {
      const currencies = await refreshFeedRates(db, fx);
      await auditedChange(
        db,
        async () => currencies,
        () => ({ accountId: account!.id, action: "fx.feed_refreshed", details: { currencies } }),
      );
      return { currencies };
    },
  );

  defineRoute(
    router,
    currenciesMountPath,
    {
      method: "get",
      path: "/shops/:shopId/currencies",
      summary: "The currencies a shop's buyers may see prices in and pay in, besides each product's own",
      tags: ["currencies"],
      auth: "public",
      response: acceptedCurrenciesSchema,
      params: shopParams,
    },
    async ({ params }) => ({ accepted: await acceptedCurrencies(db, params.shopId) }),
  );

  defineRoute(
    router,
    currenciesMountPath,
    {
      method: "put",
      path: "/shops/:shopId/currencies",
      summary: "Set the currencies a shop's buyers may pay in besides each product's own (its merchant or an admin, audited)",
      tags: ["currencies"],
      auth: ["merchant", "admin"],
      response: acceptedCurrenciesSchema,
      params: shopParams,
      body: z.strictObject({ accepted: z.array(currencyCode).max(acceptedCurrenciesMax) }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const accepted = await auditedChange(
        db,
        (tx) => setAcceptedCurrencies(tx, fx, params.shopId, body.accepted),
        (result) => ({ accountId: account!.id, action: "shop.currencies_set", subject: `shop:${params.shopId}`, details: { accepted: result } }),
      );
      return { accepted };
    },
  );

  defineRoute(
    router,
    currenciesMountPath,
    {
      method: "post",
      path: "/ledger/shops/:shopId/conversions",
      summary:
        "Convert part of the shop's payable into another currency at the platform's rate: one journal transaction through the platform's FX account (its merchant or an admin)",
      tags: ["ledger"],
      auth: ["merchant", "admin"],
      status: 201,
      response: fxConversionSchema,
      params: shopParams,
      body: z.strictObject({
        fromCurrency: currencyCode,
        toCurrency: currencyCode,
        amountMinor: moneyMinor,
        requestId: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/)
          .optional()
          .describe("The client's idempotency key: a retried request answers the first conversion"),
      }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const conversionId = body.requestId ?? randomUUID();
      const conversion = await conversionOf(db, fx, body.fromCurrency, body.toCurrency);
      const result = await auditedChange(
        db,
        async (tx) => {
          // Proceeds still inside their after-sales window are held first, as for a payout, so a
          // conversion draws only released proceeds and a refund of the original sale finds its currency.
          await placeProceedsHolds(tx, { shopId: params.shopId, reputation: ctx.config.disputes.reputation });
          return postFxConversion(tx, { conversionId, shopId: params.shopId, amountMinor: body.amountMinor, conversion });
        },
        (posted) =>
          posted.created
            ? {
                accountId: account!.id,
                action: "ledger.fx_converted",
                subject: `shop:${params.shopId}`,
                details: {
                  from: body.fromCurrency,
                  to: body.toCurrency,
                  fromMinor: String(posted.fromMinor),
                  toMinor: String(posted.toMinor),
                  rate: posted.rate,
                },
              }
            : undefined,
      ).catch((error: unknown) => {
        if (error instanceof AppError && error.code === "insufficient_funds") {
          throw new AppError(
            "insufficient_funds",
            `The shop has less than ${body.amountMinor} ${body.fromCurrency} available to convert. Convert at most the available amount (GET /ledger/shops/${params.shopId}/balance).`,
          );
        }
        throw error;
      });
      return {
        transactionId: String(result.transactionId),
        created: result.created,
        fromCurrency: body.fromCurrency,
        toCurrency: body.toCurrency,
        fromMinor: String(result.fromMinor),
        toMinor: String(result.toMinor),
        rate: result.rate,
      };
    },
  );

  return router;
}
