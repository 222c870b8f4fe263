// Receipts and tax (docs/saas.md, "Receipts and tax"): a shop's tax rates per buyer country.
// Thin: validate, call a service (api/services/receipts), answer.
import { Router } from "express";
import { z } from "zod";
import { AppError } from "../../../core/errors.ts";
import type { AppContext } from "../../context.ts";
import { auditedChange } from "../../services/audit.ts";
import { getShopMonthlyStatement } from "../../ledger/statements.ts";
import { monthlyStatementCsv, monthlyStatementPdf } from "../../services/receipts/monthlyStatement.ts";
import { getShop } from "../../services/shops/shops.ts";
import { loadOrderFor } from "../../services/orders/orderAccessCheck.ts";
import { buildReceipt } from "../../services/receipts/receipt.ts";
import { receiptHtml } from "../../services/receipts/receiptHtml.ts";
import { receiptPdf } from "../../services/receipts/receiptPdf.ts";
import { moneyDecimals, receiptLangs } from "../../services/receipts/receiptText.ts";
import { listTaxRates, removeTaxRate, setTaxRate } from "../../services/receipts/taxRates.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { noContent, textBody } from "../responses/common.ts";
import { taxRateListSchema, taxRateSchema } from "../responses/receipts.ts";
import { defineRoute } from "../route.ts";
import { assertShopReader } from "./ledger.ts";
import { idString } from "../schemas.ts";

export const receiptsMountPath = "/api";

const country = z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code in upper case, such as CN or DE");

/** HTML receipts carry an inline style and nothing else: no script, no request anywhere. */
const receiptHeaders = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  "cache-control": "private, no-store",
};

export function receiptsRouter(ctx: AppContext, settings: { queryPasswordPepper: string }): Router {
  const router = Router();
  const db = ctx.database.db;
  const rateParams = z.strictObject({ shopId: idString, country });

  defineRoute(
    router,
    receiptsMountPath,
    {
      method: "get",
      path: "/shops/:shopId/tax-rates",
      summary: "The shop's tax rates per buyer country (its merchant)",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: taxRateListSchema,
      params: z.strictObject({ shopId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return { items: await listTaxRates(db, params.shopId) };
    },
  );

  defineRoute(
    router,
    receiptsMountPath,
    {
      method: "put",
      path: "/shops/:shopId/tax-rates/:country",
      summary: "Set the shop's tax rate for buyers of a country (0..10000 bps, inclusive or exclusive; audited). Receipts show it; the charge is unchanged",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: taxRateSchema,
      params: rateParams,
      body: z.strictObject({
        rateBps: z.number().int("must be a whole number of basis points").min(0, "must be 0 or more").max(10000, "must be at most 10000 (100%)"),
        inclusive: z.boolean(),
      }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return auditedChange(
        db,
        (tx) => setTaxRate(tx, params.shopId, { country: params.country, ...body }),
        (rate) => ({ accountId: account!.id, action: "shop.tax_rate_set", subject: `shop:${params.shopId}`, details: rate }),
      );
    },
  );

  defineRoute(
    router,
    receiptsMountPath,
    {
      method: "delete",
      path: "/shops/:shopId/tax-rates/:country",
      summary: "Remove the shop's tax rate for a country (audited)",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: noContent,
      params: rateParams,
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const removed = await auditedChange(
        db,
        (tx) => removeTaxRate(tx, params.shopId, params.country),
        (done) =>
          done
            ? { accountId: account!.id, action: "shop.tax_rate_removed", subject: `shop:${params.shopId}`, details: { country: params.country } }
            : undefined,
      );
      if (!removed) throw new AppError("not_found", `The shop has no tax rate for ${params.country}.`);
      return undefined;
    },
  );

  defineRoute(
    router,
    receiptsMountPath,
    {
      method: "get",
      path: "/orders/:orderId/receipt",
      summary:
        "A paid order's receipt, HTML or PDF, zh-CN or en (who may see the order: its buyer, the holder of its access token, its shop's merchant, admins, auditors). `country` (ISO 3166-1 alpha-2): the buyer's country for the tax line",
      tags: ["orders"],
      auth: "public",
      response: textBody,
      responseType: "application/octet-stream",
      params: z.strictObject({ orderId: z.string().regex(/^KL[0-9A-Z]{8,24}$/, "must be an order number such as KL1H2J3K4M5N6P7Q8") }),
      query: z.strictObject({
        format: z.enum(["html", "pdf"]).default("html"),
        lang: z.enum(receiptLangs).default("zh-CN"),
        country: country.optional(),
        token: z.string().max(200).optional(),
      }),
    },
    async ({ params, query, req, res }) => {
      const { order } = await loadOrderFor(db, settings.queryPasswordPepper, params.orderId, {
        account: req.account,
        accessToken: query.token ?? req.get("x-order-token") ?? undefined,
      });
      const receipt = await buildReceipt(db, ctx.keyRing, order, query.country, moneyDecimals(ctx.config.merchants.fx.stablecoin));
      if (query.format === "pdf") {
        const bytes = await receiptPdf(receipt, query.lang);
        res.writeHead(200, {
          ...receiptHeaders,
          "content-type": "application/pdf",
          "content-length": String(bytes.length),
          "content-disposition": `inline; filename="receipt-${order.id}.pdf"`,
        });
        res.end(bytes);
        return;
      }
      const html = Buffer.from(receiptHtml(receipt, query.lang));
      res.writeHead(200, { ...receiptHeaders, "content-type": "text/html; charset=utf-8", "content-length": String(html.length) });
      res.end(html);
    },
  );

  defineRoute(
    router,
    receiptsMountPath,
    {
      method: "get",
      path: "/ledger/shops/:shopId/statements/:month",
      summary:
        "A shop's statement of a UTC month (YYYY-MM) as CSV (every field quoted, formulas neutralised) or PDF (zh-CN or en): per currency, opening balance, the month's postings and closing balance",
      tags: ["ledger"],
      auth: ["merchant", "auditor", "admin"],
      scope: "ledger:read",
      response: textBody,
      responseType: "application/octet-stream",
      params: z.strictObject({ shopId: idString, month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month as YYYY-MM") }),
      query: z.strictObject({ format: z.enum(["csv", "pdf"]).default("csv"), lang: z.enum(receiptLangs).default("zh-CN") }),
    },
    async ({ params, query, account, res }) => {
      await assertShopReader(db, params.shopId, account!);
      const statement = await getShopMonthlyStatement(db, { shopId: params.shopId, month: params.month });
      const fileName = `statement-${params.shopId}-${params.month}`;
      const bytes =
        query.format === "pdf"
          ? await monthlyStatementPdf(statement, (await getShop(db, params.shopId)).name, query.lang, moneyDecimals(ctx.config.merchants.fx.stablecoin))
          : Buffer.from(monthlyStatementCsv(statement));
      res.writeHead(200, {
        "content-type": query.format === "pdf" ? "application/pdf" : "text/csv; charset=utf-8",
        "content-length": String(bytes.length),
        "content-disposition": `attachment; filename="${fileName}.${query.format}"`,
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
      });
      res.end(bytes);
    },
  );

  return router;
}
