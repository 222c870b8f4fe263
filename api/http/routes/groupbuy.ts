// Group buying (docs/groupbuy.md): the merchant's group offer on a product, opening a group,
// joining one through its link, and the group's page. Thin: validation here, the rules in
// api/services/groupbuy.
import { Router, type Request } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { clientAddressOf } from "../clientAddress.ts";
import { enqueueGroupExpiry, handOverToRedis } from "../../jobs/enqueue.ts";
import { readGroupOffer, setGroupOffer } from "../../services/groupbuy/groupOffers.ts";
import { getGroupView, groupIdPattern, joinGroup, openGroup, type GroupCaller, type GroupView } from "../../services/groupbuy/groups.ts";
import type { CreateOrderSettings } from "../../services/orders/createOrder.ts";
import { issueOrderAccessToken } from "../../services/orders/orderAccess.ts";
import type { OrderRecord } from "../../services/orders/orderRecord.ts";
import { buildOrderView } from "../../services/orders/orderView.ts";
import { paymentInstructions } from "../../services/orders/paymentInstructions.ts";
import { checkoutProduct } from "../../services/orders/productCache.ts";
import { getProduct } from "../../services/products/products.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { captchaHeader } from "../../services/captcha/captcha.ts";
import { captchaOf } from "../captchaOf.ts";
import { defineRoute } from "../route.ts";
import { idString, moneyMinor } from "../schemas.ts";
import { groupCheckoutSchema, groupOfferSchema, groupSchema, productGroupOfferSchema } from "../responses/groupbuy.ts";
import type { AuthenticatedAccount } from "../../services/accounts/sessions.ts";

export const groupbuyMountPath = "/api";

const groupParams = z.strictObject({ groupId: z.string().regex(groupIdPattern, "must be a group id such as G0123456789ABCDEFGHJK") });
const walletAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");
const checkoutBody = z.strictObject({
  walletAddress: walletAddress.optional().describe("The wallet that will pay (the group is paid on-chain, through the platform)"),
});

export function groupbuyRouter(ctx: AppContext, settings: { queryPasswordPepper: string }): Router {
  const router = Router();
  const db = ctx.database.db;
  const merchant = ["merchant", "admin"] as ("merchant" | "admin")[];
  const orderSettings: CreateOrderSettings = {
    expirySeconds: ctx.config.orders.expirySeconds,
    quantityMax: ctx.config.orders.quantityMax,
    queryPasswordPepper: settings.queryPasswordPepper,
    merchantFeeCreditMinor: ctx.config.ledger.merchantFeeCreditMinor,
    unpaidHolds: ctx.config.orders.unpaidHolds,
    risk: { defaults: ctx.config.risk, captchaScore: ctx.config.risk.captchaScore, captcha: captchaOf(ctx) },
  };

  const callerOf = (account: AuthenticatedAccount, req: Request, body: { walletAddress?: string | undefined }): GroupCaller => {
    const deviceId = req.header("x-device-id");
    const captchaPayload = req.header(captchaHeader);
    return {
      accountId: account.id,
      email: account.email,
      clientAddress: clientAddressOf(req),
      ...(deviceId && /^[A-Za-z0-9_-]{8,64}$/.test(deviceId) ? { deviceId } : {}),
      ...(captchaPayload ? { captchaPayload } : {}),
      ...(body.walletAddress ? { walletAddress: body.walletAddress } : {}),
    };
  };

  /** The checkout's answer (as POST /api/orders answers it) with the group. */
  async function checkoutAnswer(group: GroupView, order: OrderRecord) {
    const product = await checkoutProduct(db, order.productId);
    const apiBaseUrl = ctx.config.http.publicUrl;
    const returnToken = issueOrderAccessToken(settings.queryPasswordPepper, order, ctx.config.orders.returnTokenTtlSeconds);
    const payment = await paymentInstructions(
      db,
      ctx.keyRing,
      order,
      { apiBaseUrl, returnUrl: `${apiBaseUrl}/orders/${order.id}?token=${returnToken}`, productName: product.name },
      ctx.chain && { paymentAddress: ctx.chain.addresses.payment, stablecoinAddress: ctx.chain.addresses.stablecoin },
    );
    return {
      group,
      order: await buildOrderView(db, ctx.keyRing, order, product.name),
      accessToken: issueOrderAccessToken(settings.queryPasswordPepper, order, ctx.config.orders.accessTokenTtlSeconds),
      payment,
    };
  }

  defineRoute(
    router,
    groupbuyMountPath,
    {
      method: "get",
      path: "/products/:productId/group-offer",
      summary: "A product's group offer (null when it has none)",
      tags: ["groupbuy"],
      auth: "public",
      response: productGroupOfferSchema,
      params: z.strictObject({ productId: idString }),
    },
    async ({ params }) => ({ offer: (await readGroupOffer(db, params.productId)) ?? null }),
  );

  defineRoute(
    router,
    groupbuyMountPath,
    {
      method: "put",
      path: "/products/:productId/group-offer",
      summary: "Set a product's group offer: a group price below the product's price (422 group_price_too_high), 2-50 buyers, 1-48 hours",
      tags: ["groupbuy"],
      auth: merchant,
      response: groupOfferSchema,
      params: z.strictObject({ productId: idString }),
      body: z.strictObject({
        priceMinor: moneyMinor.refine((value) => value > 0n, "must be above 0"),
        size: z.number().int().min(2, "a group has 2 to 50 buyers").max(50, "a group has 2 to 50 buyers"),
        windowHours: z.number().int().min(1, "1 to 48 hours").max(48, "1 to 48 hours"),
        active: z.boolean(),
      }),
    },
    async ({ params, body, account }) => {
      const product = await getProduct(db, params.productId);
      await assertShopManager(db, BigInt(product.shopId), account!);
      return setGroupOffer(db, { productId: params.productId, accountId: account!.id, offer: body });
    },
  );

  defineRoute(
    router,
    groupbuyMountPath,
    {
      method: "post",
      path: "/products/:productId/groups",
      summary: "Open a group on the product's offer: your order at the group price, paid through the platform; share the group's link",
      tags: ["groupbuy"],
      auth: "account",
      status: 201,
      response: groupCheckoutSchema,
      params: z.strictObject({ productId: idString }),
      body: checkoutBody,
    },
    async ({ params, body, account, req }) => {
      const { group, order } = await openGroup(db, orderSettings, { productId: params.productId, caller: callerOf(account!, req, body) });
      // The group's expiry, on time; the maintenance sweep expires it if this job is lost.
      await handOverToRedis(ctx, () => enqueueGroupExpiry(ctx.queues, group.id, new Date(group.expiresAt).getTime() - Date.now()), {
        code: "group_expiry_enqueue_deferred",
        message: "group expiry left to the maintenance sweep: the queue did not take it",
        fields: { groupId: group.id },
      });
      return checkoutAnswer(group, order);
    },
  );

  defineRoute(
    router,
    groupbuyMountPath,
    {
      method: "post",
      path: "/groups/:groupId/join",
      summary:
        "Join a group: your order at the group price (the seat is taken when the payment is accepted). 409 group_full, 409 group_expired, 422 group_own, 409 group_already_joined",
      tags: ["groupbuy"],
      auth: "account",
      status: 201,
      response: groupCheckoutSchema,
      params: groupParams,
      body: checkoutBody,
    },
    async ({ params, body, account, req }) => {
      const { group, order } = await joinGroup(db, orderSettings, { groupId: params.groupId, caller: callerOf(account!, req, body) });
      return checkoutAnswer(group, order);
    },
  );

  defineRoute(
    router,
    groupbuyMountPath,
    {
      method: "get",
      path: "/groups/:groupId",
      summary: "A group: its price, members, time left and share link",
      tags: ["groupbuy"],
      auth: "public",
      response: groupSchema,
      params: groupParams,
    },
    async ({ params, account }) => getGroupView(db, params.groupId, account?.id),
  );
  return router;
}
