// The sandbox gateway's pages (see api/payments/epaySandbox.ts). Mounted only when
// EPAY_SANDBOX_SECRET is set.
import express, { Router } from "express";
import { z } from "zod";
import { AppError } from "../../../core/errors.ts";
import type { EpayParams } from "../../payments/epay.ts";
import { deliverNotification, sandboxNotification, verifySandboxSubmit } from "../../payments/epaySandbox.ts";
import { defineRoute } from "../route.ts";
import { noContent, textBody } from "../responses/common.ts";

export const sandboxMountPath = "/sandbox/epay";
// The cashier's style is a file of its own: the Content-Security-Policy applies no inline style
// (api/http/contentSecurityPolicy.ts).
const cashierStylePath = "/cashier.css";
const cashierStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:420px;margin:3rem auto;padding:0 1rem;text-align:center}
.amount{font-size:2.4rem;font-weight:700;margin:.5rem 0}button{font-size:1.1rem;padding:.8rem 2rem;border:0;border-radius:8px;background:#1677ff;color:#fff;cursor:pointer}
.note{color:#666;font-size:.9rem}
`;

const submitParams = z.record(z.string().regex(/^[a-z_]{1,32}$/), z.string().max(1024));

export function epaySandboxRouter(secret: string): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: "16kb" }));
  router.get(cashierStylePath, (_req, res) => {
    res.type("css").send(cashierStyle);
  });

  defineRoute(
    router,
    sandboxMountPath,
    {
      method: "get",
      path: "/submit.php",
      summary: "Sandbox EPay cashier page",
      tags: ["sandbox"],
      auth: "public",
      response: textBody,
      responseType: "text/html",
    },
    async ({ req }) => {
      const params = readParams(req.query);
      if (!verifySandboxSubmit(secret, params)) throw new AppError("invalid_signature", "The payment link's signature does not verify.");
      return cashierPage(params);
    },
  );

  defineRoute(
    router,
    sandboxMountPath,
    {
      method: "post",
      path: "/pay",
      summary: "Sandbox: pay, notify the shop, return to the shop",
      tags: ["sandbox"],
      auth: "public",
      status: 303,
      response: noContent,
    },
    async ({ req, res }) => {
      const params = readParams(req.body);
      if (!verifySandboxSubmit(secret, params)) throw new AppError("invalid_signature", "The payment link's signature does not verify.");
      const notification = sandboxNotification(secret, params);
      const delivered = await deliverNotification(params.notify_url!, notification);
      if (!delivered.ok) {
        res
          .status(502)
          .type("html")
          .send(resultPage("The shop did not confirm the payment notification.", `It answered: ${escapeHtml(delivered.body)}`));
        return;
      }
      const back = new URL(params.return_url!);
      res.redirect(303, back.toString());
    },
  );
  return router;
}

function readParams(source: unknown): EpayParams {
  const parsed = submitParams.safeParse(source ?? {});
  if (!parsed.success) throw new AppError("validation_failed", "Payment parameters must be short strings.");
  const params = parsed.data;
  for (const name of ["pid", "out_trade_no", "notify_url", "return_url", "money", "sign"]) {
    if (!params[name]) throw new AppError("validation_failed", `Missing payment parameter ${name}.`);
  }
  for (const name of ["notify_url", "return_url"]) {
    if (!/^https?:\/\//.test(params[name]!)) throw new AppError("validation_failed", `${name} must be an http(s) URL.`);
  }
  return params;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function cashierPage(params: EpayParams): string {
  const hidden = Object.entries(params)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("");
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>沙箱收银台 · Sandbox cashier</title><link rel="stylesheet" href="${sandboxMountPath}${cashierStylePath}"></head><body>
<h1>易支付沙箱 · EPay sandbox</h1><p>${escapeHtml(params.name ?? "")}</p><div class="amount" data-testid="sandbox-amount">¥${escapeHtml(params.money ?? "")}</div>
<p class="note">订单 Order ${escapeHtml(params.out_trade_no ?? "")}</p>
<form method="post" action="/sandbox/epay/pay">${hidden}<button type="submit" data-testid="sandbox-pay">确认支付 · Pay</button></form>
<p class="note">This is a test gateway: no money moves. 测试网关，不会真实扣款。</p></body></html>`;
}

function resultPage(title: string, detail: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${detail}</p></body></html>`;
}
