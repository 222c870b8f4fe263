// Quotas of self-service merchants (docs/abuse.md, "Merchant quotas"): a merchant reads its own,
// an admin reads and raises anyone's (audited).
import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { auditedChange } from "../../services/audit.ts";
import { getMerchantQuotas, setMerchantQuotas } from "../../services/shops/merchantQuotas.ts";
import { defineRoute } from "../route.ts";
import { idString } from "../schemas.ts";
import { merchantQuotasSchema } from "../responses/quotas.ts";

export const quotasMountPath = "/api";

export function quotasRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const defaults = ctx.config.merchants.quotas;

  defineRoute(
    router,
    quotasMountPath,
    {
      method: "get",
      path: "/merchant/quotas",
      summary: "The signed-in merchant's quotas (shops, imports and keys a day) and what it used",
      tags: ["merchant"],
      auth: ["merchant"],
      response: merchantQuotasSchema,
    },
    async ({ account }) => getMerchantQuotas(db, account!.id, defaults),
  );

  const params = z.strictObject({ accountId: idString });

  defineRoute(
    router,
    quotasMountPath,
    {
      method: "get",
      path: "/admin/merchants/:accountId/quotas",
      summary: "A merchant's quotas and usage (admin)",
      tags: ["admin"],
      auth: ["admin"],
      response: merchantQuotasSchema,
      params,
    },
    async ({ params }) => getMerchantQuotas(db, params.accountId, defaults),
  );

  defineRoute(
    router,
    quotasMountPath,
    {
      method: "put",
      path: "/admin/merchants/:accountId/quotas",
      summary: "Set a merchant's quotas (admin, audited): shops, key imports a day, keys a day",
      tags: ["admin"],
      auth: ["admin"],
      response: merchantQuotasSchema,
      params,
      body: z.strictObject({
        shopsMax: z.number().int().min(0).max(10_000),
        importsPerDayMax: z.number().int().min(0).max(100_000),
        keysPerDayMax: z.number().int().min(0).max(100_000_000),
      }),
    },
    async ({ params, body, account }) => {
      await auditedChange(
        db,
        async (tx) => {
          const before = await getMerchantQuotas(tx, params.accountId, defaults);
          await setMerchantQuotas(tx, params.accountId, body, account!.id);
          return before;
        },
        (before) => ({
          accountId: account!.id,
          action: "merchant.quotas_set",
          subject: `account:${params.accountId}`,
          details: { before: { shopsMax: before.shopsMax, importsPerDayMax: before.importsPerDayMax, keysPerDayMax: before.keysPerDayMax }, after: body },
        }),
      );
      return getMerchantQuotas(db, params.accountId, defaults);
    },
  );

  return router;
}
