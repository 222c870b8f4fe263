// A buyer's platform balance over HTTP (docs/subscriptions.md, "Top-ups of the balance"): read it,
// start a top-up (idempotent per key), read a top-up, and the platform EPay merchant's
// notification that credits it. Thin: validate, call the service, respond.
import express, { Router, type Request } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { auditedChange } from "../../services/audit.ts";
import { resaleEpayMerchant } from "../../services/resale/resalePayments.ts";
import {
  balanceTopupNotifyPath,
  balanceTopupView,
  getMyBalance,
  handleBalanceTopupNotify,
  loadMyBalanceTopup,
  startBalanceTopup,
} from "../../services/subscriptions/balanceTopups.ts";
import { defineRoute } from "../route.ts";
import { currencyCode, moneyMinor, printableToken } from "../schemas.ts";
import { balanceSchema, balanceTopupSchema } from "../responses/subscriptions.ts";
import { textBody } from "../responses/common.ts";

export const balanceMountPath = "/api";

// 10^9 fen is ten million yuan: far above any subscription balance, far below the journal's per-posting limit.
const balanceTopupMinorMax = 10n ** 9n;
const balanceTopupId = z.string().regex(/^BT[0-9A-Z]{8,32}$/, "must be a balance top-up id such as BTMI2K3L4M5A1B2C3D4E5");
const epayParams = z.record(z.string().regex(/^[a-z_]{1,32}$/), z.string().max(512)).refine((value) => Object.keys(value).length <= 32, "too many parameters");

export function balanceRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const apiBaseUrl = (req: Request) => ctx.config.http.publicUrl ?? `${req.protocol}://${req.get("host")}`;
  const viewSettings = (req: Request) => ({ merchant: resaleEpayMerchant(ctx.config, apiBaseUrl(req)), apiBaseUrl: apiBaseUrl(req) });

  defineRoute(
    router,
    balanceMountPath,
    {
      method: "get",
      path: "/balance",
      summary: "Your platform balance per currency (automatic renewals are charged from it; dispute refunds and top-ups land in it)",
      tags: ["subscriptions"],
      auth: "account",
      response: balanceSchema,
    },
    async ({ account }) => ({ balances: await getMyBalance(db, account!.id) }),
  );

  defineRoute(
    router,
    balanceMountPath,
    {
      method: "post",
      path: "/balance/topups",
      summary:
        "Start a top-up of your platform balance, paid through the platform's EPay merchant; the same idempotencyKey answers the same top-up (409 conflict for another amount)",
      tags: ["subscriptions"],
      auth: "account",
      status: 201,
      response: balanceTopupSchema,
      body: z.strictObject({
        amountMinor: moneyMinor.refine((value) => value > 0n && value <= balanceTopupMinorMax, `must be from 1 to ${balanceTopupMinorMax} minor units`),
        currency: currencyCode,
        idempotencyKey: printableToken({ min: 8, max: 100 }),
      }),
    },
    async ({ body, account, req }) => {
      const { row } = await auditedChange(
        db,
        (tx) => startBalanceTopup(tx, { accountId: account!.id, amountMinor: body.amountMinor, currency: body.currency, idempotencyKey: body.idempotencyKey }),
        // A repeated request changed nothing, so it leaves no audit row.
        (started) =>
          started.created
            ? {
                accountId: account!.id,
                action: "balance.topup_started",
                subject: `balance_topup:${started.row.id}`,
                details: { amountMinor: body.amountMinor.toString(), currency: body.currency },
              }
            : undefined,
      );
      return balanceTopupView(row, viewSettings(req));
    },
  );

  defineRoute(
    router,
    balanceMountPath,
    {
      method: "get",
      path: "/balance/topups/:topupId",
      summary: "Your balance top-up and its state",
      tags: ["subscriptions"],
      auth: "account",
      response: balanceTopupSchema,
      params: z.strictObject({ topupId: balanceTopupId }),
    },
    async ({ params, account, req }) => balanceTopupView(await loadMyBalanceTopup(db, account!.id, params.topupId), viewSettings(req)),
  );

  const notifyPath = balanceTopupNotifyPath.slice(balanceMountPath.length);
  router.use(notifyPath, express.urlencoded({ extended: false, limit: "16kb" }));
  for (const method of ["get", "post"] as const) {
    defineRoute(
      router,
      balanceMountPath,
      {
        method,
        path: notifyPath,
        summary: "EPay notification for buyers' balance top-ups (the platform's merchant; signed, MD5 rule); answers `success`",
        tags: ["subscriptions", "payments"],
        auth: "public",
        response: textBody.describe("Exactly `success`"),
      },
      async ({ req, res }) => {
        const parsed = epayParams.safeParse((method === "get" ? req.query : req.body) ?? {});
        if (!parsed.success) throw new AppError("validation_failed", "EPay parameters must be short strings.");
        await handleBalanceTopupNotify(db, { merchant: resaleEpayMerchant(ctx.config, apiBaseUrl(req)) }, parsed.data);
        res.type("text/plain").send("success");
      },
    );
  }

  return router;
}
