// Supply docking (docs/docking.md): a supplier offers products at a wholesale price and can stop
// supplying; resellers browse the offers and list them in their own shops.
import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { createListing, listShopListings } from "../../services/docking/listings.ts";
import { getRestock, restockLimits, setRestockRule } from "../../services/docking/restock.ts";
import { listActiveOffers, listShopOffers, offerProduct, stopSupplying } from "../../services/docking/offers.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { defineRoute } from "../route.ts";
import { cursorParam, idSortKey, opaque } from "../cursor.ts";
import { displayName, idString, moneyMinor } from "../schemas.ts";
import {
  dockingListingSchema,
  dockingOfferPageSchema,
  dockingOfferSchema,
  dockingRestockSchema,
  orderProvenanceSchema,
  remoteListingSchema,
  remoteSupplierListSchema,
  remoteSupplierSchema,
  shopDockingSchema,
} from "../responses/docking.ts";
import { addRemoteSupplier, listRemoteSuppliers } from "../../services/crossdock/remoteSuppliers.ts";
import { createRemoteListing } from "../../services/crossdock/remoteListings.ts";
import { orderProvenance } from "../../services/crossdock/provenance.ts";
import { loadOrderFor } from "../../services/orders/orderAccessCheck.ts";
import { AppError } from "../../../core/errors.ts";

export const dockingMountPath = "/api";

export function dockingRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const merchant = ["merchant", "admin"] as ("merchant" | "admin")[];

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "put",
      path: "/shops/:shopId/docking/offers/:productId",
      summary: "Offer one of the shop's automatic products to resellers at a wholesale unit price (again: a new price, supply resumed)",
      tags: ["docking"],
      auth: merchant,
      response: dockingOfferSchema,
      params: z.strictObject({ shopId: idString, productId: idString }),
      body: z.strictObject({ wholesalePriceMinor: moneyMinor }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return offerProduct(db, { shopId: params.shopId, productId: params.productId, wholesalePriceMinor: body.wholesalePriceMinor, accountId: account!.id });
    },
  );

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "post",
      path: "/shops/:shopId/docking/offers/:productId/stop",
      summary: "Stop supplying a product: resellers take no new orders of it; their open orders complete or are refunded",
      tags: ["docking"],
      auth: merchant,
      response: dockingOfferSchema,
      params: z.strictObject({ shopId: idString, productId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return stopSupplying(db, { shopId: params.shopId, productId: params.productId, accountId: account!.id });
    },
  );

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "get",
      path: "/docking/offers",
      summary: "Products that suppliers offer for docking now, newest first (merchants choosing what to list)",
      tags: ["docking"],
      auth: merchant,
      response: dockingOfferPageSchema,
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50), cursor: cursorParam.optional() }),
    },
    async ({ query }) => opaque(await listActiveOffers(db, { limit: query.limit, beforeProductId: idSortKey(query.cursor) })),
  );

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "get",
      path: "/shops/:shopId/docking",
      summary: "The shop's docking: the products it offers (supplier) and the docked products it lists (reseller)",
      tags: ["docking"],
      auth: merchant,
      response: shopDockingSchema,
      params: z.strictObject({ shopId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const [offers, listings] = await Promise.all([listShopOffers(db, params.shopId), listShopListings(db, params.shopId)]);
      return { offers, listings };
    },
  );

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "post",
      path: "/shops/:shopId/docking/listings",
      summary: "List a supplier's offered product in this shop under its own title and a retail price above the wholesale",
      tags: ["docking"],
      auth: merchant,
      status: 201,
      response: dockingListingSchema,
      params: z.strictObject({ shopId: idString }),
      body: z.strictObject({ supplyProductId: idString, name: displayName({ max: 120 }), priceMinor: moneyMinor }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return createListing(db, {
        shopId: params.shopId,
        supplyProductId: body.supplyProductId,
        name: body.name,
        priceMinor: body.priceMinor,
        accountId: account!.id,
      });
    },
  );

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "post",
      path: "/shops/:shopId/docking/remote-suppliers",
      summary: "Add a supplier on another Keyledger instance by its URL and an API key of your account there (stored encrypted, never answered again)",
      tags: ["docking"],
      auth: merchant,
      status: 201,
      response: remoteSupplierSchema,
      params: z.strictObject({ shopId: idString }),
      body: z.strictObject({
        url: z.string().max(2048),
        apiKey: z.string().regex(/^kl_live_[1-9][0-9]{0,18}_[A-Za-z0-9_-]{43}$/, "must be a Keyledger API key, kl_live_<id>_<43 characters>"),
      }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return addRemoteSupplier(
        { db, keyRing: ctx.keyRing, allowLoopback: ctx.config.webhooks.allowLoopback, chainId: ctx.chain?.chainId },
        { shopId: params.shopId, accountId: account!.id, url: body.url, apiKey: body.apiKey },
      );
    },
  );

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "post",
      path: "/shops/:shopId/docking/remote-listings",
      summary:
        "List a remote supplier's product in the shop: its paid orders are bought upstream from your balance there, verified on-chain and then delivered",
      tags: ["docking"],
      auth: merchant,
      status: 201,
      response: remoteListingSchema,
      params: z.strictObject({ shopId: idString }),
      body: z.strictObject({ remoteSupplierId: idString, remoteProductId: idString, name: displayName({ max: 120 }), priceMinor: moneyMinor }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return createRemoteListing(
        { db, keyRing: ctx.keyRing, allowLoopback: ctx.config.webhooks.allowLoopback },
        { shopId: params.shopId, accountId: account!.id, ...body },
      );
    },
  );

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "get",
      path: "/orders/:orderId/provenance",
      summary:
        "The certificate chain of an order's keys bought from a remote supplier: the supplier's certificates (verifiable on-chain) and this shop's record of the resale (buyer only)",
      tags: ["docking", "orders"],
      auth: "public",
      scope: "orders:read",
      response: orderProvenanceSchema,
      params: z.strictObject({ orderId: z.string().regex(/^KL[0-9A-Z]{8,24}$/, "must be an order number such as KL1H2J3K4M5N6P7Q8") }),
      query: z.strictObject({ token: z.string().max(100).optional() }),
    },
    async ({ params, query, req }) => {
      const { viewer } = await loadOrderFor(db, ctx.config.secrets.queryPasswordPepper!, params.orderId, {
        account: req.account,
        accessToken: query.token ?? req.get("x-order-token"),
      });
      if (viewer !== "buyer") throw new AppError("forbidden", "Only the buyer reads the certificates of an order's keys (they carry the salts).");
      return orderProvenance(db, { orderId: params.orderId, publicUrl: ctx.config.http.publicUrl });
    },
  );

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "get",
      path: "/shops/:shopId/docking/remote-suppliers",
      summary: "The shop's suppliers on other Keyledger instances (the API keys only as hints)",
      tags: ["docking"],
      auth: merchant,
      response: remoteSupplierListSchema,
      params: z.strictObject({ shopId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return { items: await listRemoteSuppliers(db, params.shopId) };
    },
  );

  defineRoute(
    router,
    dockingMountPath,
    {
      method: "get",
      path: "/shops/:shopId/docking/listings/:productId/restock",
      summary: "A docked listing's auto-restock rule, its allocation of the supplier's keys and its newest restocks",
      tags: ["docking"],
      auth: merchant,
      response: dockingRestockSchema,
      params: z.strictObject({ shopId: idString, productId: idString }),
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return getRestock(db, params.shopId, params.productId);
    },
  );

  const keyCount = z.number().int().min(1).max(restockLimits.keysMax);
  defineRoute(
    router,
    dockingMountPath,
    {
      method: "put",
      path: "/shops/:shopId/docking/listings/:productId/restock",
      summary:
        "Set a docked listing's auto-restock: below `threshold` allocated keys, allocate the supplier's next `batchKeys`, holding at most `maxKeys`, within `budgetMinor` of wholesale value (disabled: the allocation goes back)",
      tags: ["docking"],
      auth: merchant,
      response: dockingRestockSchema,
      params: z.strictObject({ shopId: idString, productId: idString }),
      body: z.strictObject({ threshold: keyCount, batchKeys: keyCount, maxKeys: keyCount, budgetMinor: moneyMinor, enabled: z.boolean().default(true) }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return setRestockRule(db, { shopId: params.shopId, listingId: params.productId, accountId: account!.id, rule: body });
    },
  );

  return router;
}
