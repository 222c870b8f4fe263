import { rentalNow } from "../../services/rentals/rentalClock.ts";
import { Router, type Request } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { buildCertificate } from "../../keys/certificate.ts";
import { assertKeyInOrder } from "../../services/orders/assertKeyInOrder.ts";
import { createOrder } from "../../services/orders/createOrder.ts";
import { payOrderFromBalance } from "../../services/orders/payFromBalance.ts";
import { enqueueFulfilment, handOverToRedis } from "../../jobs/enqueue.ts";
import { readManualDelivery } from "../../services/orders/deliverManualOrder.ts";
import { issueOrderAccessToken } from "../../services/orders/orderAccess.ts";
import { revokeOrderAccess } from "../../services/orders/revokeOrderAccess.ts";
import { lookupGuestOrder, lookupThrottleRules } from "../../services/orders/lookupGuestOrder.ts";
import { createAttemptThrottle } from "../../services/throttles/attemptThrottle.ts";
import { loadOrderFor } from "../../services/orders/orderAccessCheck.ts";
import { getOrderRecord, type OrderRecord } from "../../services/orders/orderRecord.ts";
import { buildOrderView, certificateSaltRelease } from "../../services/orders/orderView.ts";
import { paymentInstructions } from "../../services/orders/paymentInstructions.ts";
import { recordEntitlementViews } from "../../services/disputes/viewLog.ts";
import { revealOrderEntitlements } from "../../services/orders/revealEntitlements.ts";
import { listOrders } from "../../services/orders/listOrders.ts";
import { checkoutProduct } from "../../services/orders/productCache.ts";
import { defineLeanRoute } from "../leanRoutes.ts";
import { captchaOf } from "../captchaOf.ts";
import { captchaHeader } from "../../services/captcha/captcha.ts";
import { defineRoute } from "../route.ts";
import { eraseGuestOrder } from "../../services/compliance/eraseGuestOrder.ts";
import { erasureSchema } from "../responses/compliance.ts";
import { couponCode, currencyCode, email, idString, printableToken, substoreSlug } from "../schemas.ts";
import { certificateSchema } from "../../../core/keys/certificateSchema.ts";
import { cursorParam, encodeCursor } from "../cursor.ts";
import { createdOrderSchema, foundOrderSchema, orderSchema, orderSummaryPageSchema, renewedAccessSchema } from "../responses/orders.ts";

export const ordersMountPath = "/api";

/** The longest an order page may wait in one request (below common proxy timeouts of 30 s). */
const orderWaitSecondsMax = 25;

/** Idempotency keys are chosen by clients (a UUID is typical): printable ASCII only. */
const idempotencyKeySchema = printableToken({ min: 8, max: 100 });

const walletAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");

/** The web app's device id (X-Device-Id): a random id of 8 to 64 letters, digits, dashes or underscores. */
function deviceIdHeader(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(value))
    throw new AppError("validation_failed", "The X-Device-Id header must be 8 to 64 letters, digits, dashes or underscores.");
  return value;
}

const orderIdParam = z.string().regex(/^KL[0-9A-Z]{8,24}$/, "must be an order number such as KL1H2J3K4M5N6P7Q8");

export function ordersRouter(ctx: AppContext, settings: { queryPasswordPepper: string }): Router {
  const router = Router();
  const db = ctx.database.db;
  const pepper = settings.queryPasswordPepper;
  // The buyer's token (checkout, look-up, revocation) and the gateway's return token, which
  // lives only long enough to come back from paying (api/services/orders/orderAccess.ts).
  const accessTokenOf = (order: { id: string; accessGeneration: number }) => issueOrderAccessToken(pepper, order, ctx.config.orders.accessTokenTtlSeconds);
  const returnTokenOf = (order: { id: string; accessGeneration: number }) => issueOrderAccessToken(pepper, order, ctx.config.orders.returnTokenTtlSeconds);
  const lookupThrottle = createAttemptThrottle({
    redis: ctx.queues.connection,
    timeoutMs: ctx.config.redis.throttleTimeoutMs,
    prefix: `${ctx.config.redis.prefix}:lookup`,
    rules: lookupThrottleRules(ctx.config.throttles.lookup),
    what: "look-ups of this order or from this address",
  });

  // The cached checkout view of the product: an order page needs only its name, and the
  // full product view counts stock, which the hot path must not pay for.
  async function viewOf(order: OrderRecord, withCodes = true) {
    const product = await checkoutProduct(db, order.productId);
    return buildOrderView(db, ctx.keyRing, order, product.name, withCodes);
  }

  defineLeanRoute(
    router,
    ordersMountPath,
    {
      method: "post",
      path: "/orders",
      summary: "Check out: create an order and reserve its keys (guests give contact + query password)",
      tags: ["orders"],
      auth: "public",
      scope: "orders:write",
      status: 201,
      response: createdOrderSchema,
      body: z.strictObject({
        productId: idString,
        quantity: z.number().int().min(1).max(10_000),
        contact: email.optional(),
        queryPassword: z.string().min(6, "must be at least 6 characters").max(64).optional(),
        paymentMethod: z.enum(["epay", "chain"]).default("epay"),
        idempotencyKey: idempotencyKeySchema.optional(),
        walletAddress: walletAddress.optional().describe("The wallet that will pay (chain payments): risk rules count and blacklist it"),
        couponCode: couponCode.optional(),
        substore: substoreSlug.optional().describe("The sub-store (its slug) the buyer checks out in: its agent's markup is added (docs/distribution.md)"),
        currency: currencyCode
          .optional()
          .describe(
            "Charge in this currency instead of the product's: one the shop accepts, at the platform's rate, recorded on the order (docs/currencies.md)",
          ),
      }),
    },
    async ({ body, account, header, clientAddress }) => {
      const idempotencyKey = body.idempotencyKey ?? idempotencyHeader(header("idempotency-key"));
      // The web app's device id (a random id kept in localStorage) and a solved captcha, when
      // the risk rules ask for one (docs/abuse.md).
      const deviceId = deviceIdHeader(header("x-device-id"));
      const captchaPayload = header(captchaHeader);
      const order = await createOrder(
        db,
        {
          expirySeconds: ctx.config.orders.expirySeconds,
          quantityMax: ctx.config.orders.quantityMax,
          queryPasswordPepper: pepper,
          merchantFeeCreditMinor: ctx.config.ledger.merchantFeeCreditMinor,
          saleLimits: ctx.config.merchants.saas.limitsEnforced,
          unpaidHolds: ctx.config.orders.unpaidHolds,
          risk: { defaults: ctx.config.risk, captchaScore: ctx.config.risk.captchaScore, captcha: captchaOf(ctx) },
          checkouts: ctx.checkouts,
          fx: ctx.config.merchants.fx,
        },
        { ...body, idempotencyKey, buyerAccountId: account?.id, buyerEmail: account?.email, clientAddress, deviceId, captchaPayload },
      );
      const product = await checkoutProduct(db, order.productId);
      const accessToken = accessTokenOf(order);
      const apiBaseUrl = ctx.config.http.publicUrl;
      const payment = await paymentInstructions(
        db,
        ctx.keyRing,
        order,
        { apiBaseUrl, returnUrl: `${apiBaseUrl}/orders/${order.id}?token=${returnTokenOf(order)}`, productName: product.name },
        ctx.chain && { paymentAddress: ctx.chain.addresses.payment, stablecoinAddress: ctx.chain.addresses.stablecoin },
      );
      return { order: await buildOrderView(db, ctx.keyRing, order, product.name), accessToken, payment };
    },
  );

  defineRoute(
    router,
    ordersMountPath,
    {
      method: "post",
      path: "/orders/lookup",
      summary: "Find a guest order by order number + contact + query password (attempts are throttled per order and client: 429 with Retry-After)",
      tags: ["orders"],
      auth: "public",
      response: foundOrderSchema,
      body: z.strictObject({ orderId: orderIdParam, contact: email, queryPassword: z.string().min(1).max(64) }),
    },
    async ({ body, req }) => {
      const order = await lookupGuestOrder(db, lookupThrottle, pepper, { ...body, clientAddress: req.ip ?? "unknown" });
      return { order: await viewOf(order), accessToken: accessTokenOf(order) };
    },
  );

  defineRoute(
    router,
    ordersMountPath,
    {
      method: "post",
      path: "/orders/:orderId/access/revoke",
      summary: "Revoke every access token of the order (mail link, return link, earlier look-ups); answers a fresh token (buyer only)",
      tags: ["orders"],
      auth: "public",
      response: renewedAccessSchema,
      params: z.strictObject({ orderId: orderIdParam }),
      body: z.strictObject({ token: z.string().max(100).optional() }),
    },
    async ({ params, body, req }) => {
      const { viewer } = await loadOrderFor(db, pepper, params.orderId, { account: req.account, accessToken: body.token ?? tokenHeader(req) });
      if (viewer !== "buyer") throw new AppError("forbidden", "Only the buyer can revoke an order's access tokens.");
      return { accessToken: accessTokenOf(await revokeOrderAccess(db, params.orderId)) };
    },
  );

  defineRoute(
    router,
    ordersMountPath,
    {
      method: "post",
      path: "/orders/:orderId/erasure",
      summary:
        "A guest erases the order's personal data: its codes' data key destroyed, contact and query password removed, access revoked (buyer of a guest order only; refused while a dispute is open)",
      tags: ["orders"],
      auth: "public",
      response: erasureSchema,
      params: z.strictObject({ orderId: orderIdParam }),
      body: z.strictObject({ token: z.string().max(100).optional(), confirm: z.literal("erase my data") }),
    },
    async ({ params, body, req }) => {
      const { viewer } = await loadOrderFor(db, pepper, params.orderId, { account: req.account, accessToken: body.token ?? tokenHeader(req) });
      if (viewer !== "buyer") throw new AppError("forbidden", "Only the order's buyer can erase its personal data.");
      const { summary } = await eraseGuestOrder(db, ctx.keyRing, params.orderId);
      return { erasedAt: new Date().toISOString(), summary };
    },
  );

  defineLeanRoute(
    router,
    ordersMountPath,
    {
      method: "get",
      path: "/orders/:orderId",
      summary: "An order with its delivered keys (buyer account, access token, merchant or staff)",
      tags: ["orders"],
      auth: "public",
      scope: "orders:read",
      response: orderSchema,
      params: z.strictObject({ orderId: orderIdParam }),
      query: z.strictObject({
        token: z.string().max(100).optional(),
        // Long poll: while the order awaits payment or delivery, answer when it changes or
        // after this many seconds, whichever comes first.
        waitSeconds: z.coerce.number().int().min(0).max(orderWaitSecondsMax).default(0),
      }),
    },
    async ({ params, query, account, header, onClose }) => {
      const access = { account, accessToken: query.token ?? header("x-order-token") };
      // Long poll: listen before the first read, so a change that lands after the read wakes
      // this request and one that landed before it is in what was read (one read, not two).
      const waiter = query.waitSeconds > 0 ? ctx.orderEvents.wait(params.orderId, query.waitSeconds * 1000) : undefined;
      try {
        let { order, viewer } = await loadOrderFor(db, pepper, params.orderId, access);
        if (waiter && (order.state === "awaiting_payment" || order.state === "paid")) {
          onClose(waiter.cancel);
          if (await waiter.changed) order = (await getOrderRecord(db, order.id))!;
        }
        // Only the buyer sees codes; the merchant and staff see the order without them.
        const buyer = viewer === "buyer";
        const view = await viewOf(order, buyer);
        // Only a manual delivery has no keys; automatic orders skip the extra read.
        if (buyer && order.state === "fulfilled" && view.items.length === 0)
          view.manualDelivery = await readManualDelivery(db, ctx.keyRing, order.id, order.shopId);
        return view;
      } finally {
        waiter?.cancel();
      }
    },
  );

  defineRoute(
    router,
    ordersMountPath,
    {
      method: "post",
      path: "/orders/:orderId/pay-from-balance",
      summary:
        "Pay your order (checked out with paymentMethod chain) from your platform balance; a second call for the paid order charges nothing (409 insufficient_funds: top up first)",
      tags: ["orders"],
      auth: "account",
      scope: "orders:write",
      response: orderSchema,
      params: z.strictObject({ orderId: orderIdParam }),
    },
    async ({ params, account }) => {
      const { order, charged } = await payOrderFromBalance(
        db,
        { platformFeeBps: ctx.config.orders.platformFeeBps },
        { orderId: params.orderId, accountId: account!.id },
      );
      // The paid order is the fulfilment's outbox (the recovery sweep drains it): the queue only makes delivery immediate.
      if (charged) {
        await handOverToRedis(ctx, () => enqueueFulfilment(ctx.queues, order.id), {
          code: "fulfilment_enqueue_deferred",
          message: "fulfilment left to the recovery sweep: the queue did not take it",
          fields: { orderId: order.id },
        });
      }
      return viewOf(order);
    },
  );

  defineRoute(
    router,
    ordersMountPath,
    {
      method: "post",
      path: "/orders/:orderId/reveal",
      summary: "Reveal sealed codes (redemption: recorded on-chain, the token is locked from then on)",
      tags: ["orders"],
      auth: "public",
      scope: "orders:write",
      response: orderSchema,
      params: z.strictObject({ orderId: orderIdParam }),
      body: z.strictObject({ token: z.string().max(100).optional(), entitlementIds: z.array(idString).max(1000).optional() }),
    },
    async ({ params, body, req }) => {
      const { order, viewer } = await loadOrderFor(db, pepper, params.orderId, { account: req.account, accessToken: body.token ?? tokenHeader(req) });
      if (viewer !== "buyer") throw new AppError("forbidden", "Only the buyer can reveal an order's codes.");
      const revealed = await revealOrderEntitlements(db, order, body.entitlementIds, await rentalNow(ctx.chain));
      // The dispute evidence's view log (docs/disputes.md): when and from which network and device class codes were first shown.
      await recordEntitlementViews(db, { entitlementIds: revealed, address: req.ip, userAgent: req.get("user-agent"), channel: "order" });
      // Revealing changes entitlements only; the order read above is still what it was.
      return viewOf(order);
    },
  );

  defineRoute(
    router,
    ordersMountPath,
    {
      method: "get",
      path: "/orders/:orderId/keys/:keyId/certificate",
      summary: "The key's certificate (JSON): everything needed to verify it against the chain alone",
      tags: ["orders", "verify"],
      auth: "public",
      scope: "orders:read",
      response: certificateSchema,
      params: z.strictObject({ orderId: orderIdParam, keyId: idString }),
      query: z.strictObject({ token: z.string().max(100).optional(), download: z.enum(["1", "0"]).optional() }),
    },
    async ({ params, query, req, res }) => {
      const { order, viewer } = await loadOrderFor(db, pepper, params.orderId, { account: req.account, accessToken: query.token ?? tokenHeader(req) });
      await assertKeyInOrder(db, { keyId: params.keyId, orderId: order.id });
      if (!ctx.chain) throw new AppError("chain_unavailable", "No chain is configured, so no certificate can be issued yet.", { retryable: true });
      const certificate = await buildCertificate(
        db,
        params.keyId,
        {
          chainId: ctx.chain.chainId,
          registry: ctx.chain.addresses.registry,
          entitlement: ctx.chain.addresses.entitlement,
        },
        await certificateSaltRelease(db, order, viewer, params.keyId),
      );
      if (query.download === "1") res.setHeader("content-disposition", `attachment; filename="keyledger-${order.id}-${params.keyId}.json"`);
      return certificate;
    },
  );

  defineRoute(
    router,
    ordersMountPath,
    {
      method: "get",
      path: "/me/orders",
      summary: "The signed-in buyer's orders",
      tags: ["orders"],
      auth: "account",
      response: orderSummaryPageSchema,
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: cursorParam.optional() }),
    },
    async ({ account, query }) => {
      const page = await listOrders(db, { buyerAccountId: account!.id, limit: query.limit, before: query.cursor });
      return { items: page.items, nextCursor: encodeCursor(page.nextBefore) };
    },
  );

  return router;
}

function idempotencyHeader(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = idempotencyKeySchema.safeParse(value);
  if (!parsed.success) throw new AppError("validation_failed", "The Idempotency-Key header must be 8 to 100 printable ASCII characters without spaces.");
  return parsed.data;
}

function tokenHeader(req: Request): string | undefined {
  return req.get("x-order-token") ?? undefined;
}
