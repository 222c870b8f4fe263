// The first API answers of the public storefront pages, embedded in their index.html
// (api/http/webShell.ts) so the page renders them without a request after its scripts, and what
// each page's first paint shows before the scripts run (api/http/firstPaint.ts). Each is
// what a guest gets from the same route, through the same service function, keyed by that
// request as the page makes it (web/src/firstData.ts). Nothing private: the home page's shops,
// a shop and its listed products, a listed product and its shop, and the shop's accepted
// currencies (the storefront's currency picker, web/src/currency/). The order page (per buyer,
// its token in the URL) embeds nothing, nor does a path whose answer would be an error (the
// page then fetches and shows the error as before).
import { readDatabase } from "../../core/store/replicaReads.ts";
import { AppError } from "../../core/errors.ts";
import type { AppContext } from "../context.ts";
import { acceptedCurrencies } from "../services/fx/checkoutCurrency.ts";
import { getListedProduct, listProducts } from "../services/products/products.ts";
import { getShop, getShopBySlug } from "../services/shops/shops.ts";
import { matchRoute } from "../../core/webRoutes.ts";
import { shopPage } from "./routes/shops.ts";
import { idString } from "./schemas.ts";
import type { FirstPaintPage } from "./firstPaint.ts";
import type { FirstData } from "./webShell.ts";

/** The home page's request: GET /api/shops?limit=20 (web/src/pages/HomePage.tsx). */
const homeShopsLimit = 20;

/** A page's embedded answers and what its first paint shows (api/http/firstPaint.ts). */
export type StorefrontFirstData = { answers: FirstData; paint: FirstPaintPage };

export async function storefrontFirstData(ctx: AppContext, pathname: string): Promise<StorefrontFirstData> {
  const route = matchRoute(pathname);
  try {
    switch (route?.screen) {
      case "home":
        return { answers: { [`/api/shops?limit=${homeShopsLimit}`]: await shopPage(ctx.database.db, { limit: homeShopsLimit }) }, paint: { screen: "home" } };
      case "shop": {
        const shop = await getShopBySlug(ctx.database.db, route.params.slug!);
        const items = await listProducts(ctx.database.db, BigInt(shop.id), { includePaused: false });
        return {
          answers: {
            [`/api/shops/by-slug/${encodeURIComponent(route.params.slug!)}`]: shop,
            [`/api/shops/${shop.id}/products`]: { items },
            [`/api/shops/${shop.id}/currencies`]: { accepted: await acceptedCurrencies(ctx.database.db, BigInt(shop.id)) },
          },
          paint: { screen: "shop", shop },
        };
      }
      case "product": {
        const productId = idString.safeParse(route.params.productId);
        if (!productId.success) return nothing;
        const product = await getListedProduct(await readDatabase(ctx), productId.data, undefined);
        const shop = await getShop(ctx.database.db, BigInt(product.shopId));
        return {
          answers: {
            [`/api/products/${product.id}`]: product,
            [`/api/shops/${shop.id}`]: shop,
            [`/api/shops/${shop.id}/currencies`]: { accepted: await acceptedCurrencies(ctx.database.db, BigInt(shop.id)) },
          },
          paint: { screen: "product", product, shop },
        };
      }
      // Headings that need no data (the consoles' need the session, which the browser keeps:
      // the heading is the signed-in one, the page the app then renders says otherwise if not).
      case "verify":
      case "merchant":
      case "auditor":
        return { answers: {}, paint: { screen: route.screen } };
      default:
        return nothing;
    }
  } catch (error) {
    // Not found or invalid: the page asks the API itself and shows its answer.
    if (error instanceof AppError) return nothing;
    ctx.logger.warn({ err: error, pathname }, "storefront first data failed; the page fetches it");
    return nothing;
  }
}

/** No answers embedded, and a first paint of the top bar and footer only. */
const nothing: StorefrontFirstData = { answers: {}, paint: { screen: "none" } };
