import express, { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { epayNotificationFields } from "../../payments/epay.ts";
import { handleEpayNotify } from "../../services/orders/handleEpayNotify.ts";
import { enqueueFulfilment, handOverWithin } from "../../jobs/enqueue.ts";
import { defineLeanRoute, PlainText } from "../leanRoutes.ts";
import { defineRoute } from "../route.ts";
import { idString, singleLineText } from "../schemas.ts";
import { textBody } from "../responses/common.ts";

export const paymentsMountPath = "/api";

// EPay parameters are short strings; anything else is refused before any work.
const epayParams = z
  .record(z.string().regex(/^[a-z_]{1,32}$/), singleLineText({ max: 512, trim: false }))
  .refine((value) => Object.keys(value).length <= 32, "too many parameters");

export function paymentsRouter(ctx: AppContext): Router {
  const router = Router();
  router.use("/payments/epay/notify", express.urlencoded({ extended: false, limit: "16kb" }));
  const spec = {
    path: "/payments/epay/notify/:shopId",
    summary: "EPay asynchronous notification (signed, MD5 rule); answers `success`",
    tags: ["payments"],
    auth: "public" as const,
    response: textBody.describe("Exactly `success`"),
    responseType: "text/plain" as const,
    params: z.strictObject({ shopId: idString }),
  };

  async function notified(shopId: bigint, raw: unknown): Promise<PlainText> {
    const parsed = epayParams.safeParse(raw ?? {});
    if (!parsed.success) throw new AppError("validation_failed", "EPay parameters must be short strings without control characters.");
    const settings = { platformFeeBps: ctx.config.orders.platformFeeBps, journal: ctx.journal, exactPayments: ctx.exactPayments };
    const result = await handleEpayNotify(ctx.database.db, ctx.keyRing, settings, shopId, parsed.data);
    if (result.outcome === "accepted") await handOverPaidOrder(result.orderId);
    // EPay retries until it reads exactly "success"; every recorded outcome (including a
    // replay and a late or duplicate payment, which take the refund path) is final for it.
    return new PlainText("success");
  }

  // The payment has committed and the order is `paid`: that row is the fulfilment's outbox,
  // which the recovery sweep drains (api/jobs/processors/maintenance.ts). The queue only makes
  // delivery immediate, so a Redis that is down or slow must not fail this answer (the gateway
  // would retry a payment already recorded): each command waits a bounded time, then the
  // answer goes out and the sweep delivers once Redis is back.
  async function handOverPaidOrder(orderId: string): Promise<void> {
    const { connection } = ctx.queues;
    const timeoutMs = ctx.config.redis.enqueueTimeoutMs;
    const enqueued = await handOverWithin(connection, timeoutMs, () => enqueueFulfilment(ctx.queues, orderId));
    if (enqueued !== "done") {
      ctx.logger.warn({ code: "fulfilment_enqueue_deferred", orderId, outcome: enqueued }, "fulfilment left to the recovery sweep: the queue did not take it");
      return;
    }
    // Wakes the order page waiting for this order; a lost message only means it times out.
    await handOverWithin(connection, timeoutMs, () => ctx.orderEvents.publish(orderId));
  }

  // Gateways notify with GET (the parameters in the query), the sale's hot path, or POST (a
  // form body, which only Express parses).
  defineLeanRoute(router, paymentsMountPath, { ...spec, method: "get", documentedQuery: epayNotificationFields }, async ({ params, rawQuery }) =>
    notified(params.shopId, rawQuery),
  );
  defineRoute(
    router,
    paymentsMountPath,
    { ...spec, method: "post", documentedFormBody: epayNotificationFields },
    async ({ params, req }) => (await notified(params.shopId, req.body)).text,
  );
  return router;
}
