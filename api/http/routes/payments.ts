import express, { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../errors.ts";
import { handleEpayNotify } from "../../services/orders/handleEpayNotify.ts";
import { enqueueFulfilment } from "../../jobs/enqueue.ts";
import { defineRoute } from "../route.ts";
import { idString } from "../schemas.ts";

export const paymentsMountPath = "/api";

// EPay parameters are short strings; anything else is refused before any work.
const epayParams = z.record(z.string().regex(/^[a-z_]{1,32}$/), z.string().max(512)).refine((value) => Object.keys(value).length <= 32, "too many parameters");

export function paymentsRouter(ctx: AppContext): Router {
  const router = Router();
  router.use("/payments/epay/notify", express.urlencoded({ extended: false, limit: "16kb" }));

  for (const method of ["get", "post"] as const) {
    defineRoute(
      router,
      paymentsMountPath,
      {
        method,
        path: "/payments/epay/notify/:shopId",
        summary: "EPay asynchronous notification (signed, MD5 rule); answers `success`",
        tags: ["payments"],
        auth: "public",
        params: z.strictObject({ shopId: idString }),
      },
      async ({ params, req, res }) => {
        const raw = method === "get" ? req.query : req.body;
        const parsed = epayParams.safeParse(raw ?? {});
        if (!parsed.success) throw new AppError("validation_failed", "EPay parameters must be short strings.");
        const result = await handleEpayNotify(ctx.database.db, ctx.keyRing, { platformFeeBps: ctx.config.orders.platformFeeBps, journal: ctx.journal }, params.shopId, parsed.data);
        if (result.outcome === "accepted") {
          await enqueueFulfilment(ctx.queues, result.orderId);
          await ctx.orderEvents.publish(result.orderId);
        }
        // EPay retries until it reads exactly "success"; every recorded outcome (including a
        // replay and a late or duplicate payment, which take the refund path) is final for it.
        res.type("text/plain").send("success");
      },
    );
  }
  return router;
}
