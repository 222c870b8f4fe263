// The web app's paths and the screen each opens, with the source module of every screen. Shared
// by the app (web/src/App.tsx renders a route's screen) and the server, which writes into index.html the
// hints that fetch a path's screen chunk and language table beside the entry script
// (api/http/webShell.ts), so the first screen's chunks download in parallel, not one after another.
// Plain data and one function: the server imports this file as is.

/** Each screen's module, relative to web/ (the Vite manifest's key for its chunk). */
export const screenModules = {
  home: "src/pages/HomePage.tsx",
  shop: "src/pages/ShopPage.tsx",
  product: "src/pages/ProductPage.tsx",
  order: "src/pages/OrderPage.tsx",
  lookup: "src/pages/LookupPage.tsx",
  verify: "src/pages/VerifyPage.tsx",
  login: "src/pages/LoginPage.tsx",
  myOrders: "src/pages/MyOrdersPage.tsx",
  myEarnings: "src/distribution/MyEarningsPage.tsx",
  notFound: "src/pages/NotFoundPage.tsx",
  forgotPassword: "src/security/PasswordResetPages.tsx",
  resetPassword: "src/security/PasswordResetPages.tsx",
  merchant: "src/merchant/MerchantPage.tsx",
  auditor: "src/auditor/AuditorPage.tsx",
  admin: "src/admin/AdminPage.tsx",
  tx: "src/pages/TxPage.tsx",
  security: "src/security/SecurityPage.tsx",
  myKeys: "src/resale/MyKeysPage.tsx",
  purchase: "src/resale/PurchasePage.tsx",
  timeline: "src/resale/TimelinePage.tsx",
  dispute: "src/disputes/DisputePage.tsx",
  agent: "src/agent/AgentPage.tsx",
  ticket: "src/support/TicketPage.tsx",
  confirmEmail: "src/saas/ConfirmEmailPage.tsx",
  myData: "src/saas/MyDataPage.tsx",
  myTickets: "src/support/MyTicketsPage.tsx",
  mySubscriptions: "src/subscriptions/MySubscriptionsPage.tsx",
  substore: "src/distribution/SubstorePage.tsx",
  group: "src/groupbuy/GroupPage.tsx",
} as const;
export type ScreenName = keyof typeof screenModules;

/** Each language's table module (i18n/messages.ts loads one). */
export const languageModules = { zh: "src/i18n/zh.ts", en: "src/i18n/en.ts" } as const;

/** The paths, matched in order; App.tsx says how each renders. */
export const routeTable = [
  { pattern: "/", screen: "home" },
  { pattern: "/shop/:slug", screen: "shop" },
  { pattern: "/product/:productId", screen: "product" },
  { pattern: "/orders/:orderId", screen: "order" },
  { pattern: "/lookup", screen: "lookup" },
  { pattern: "/verify", screen: "verify" },
  { pattern: "/login", screen: "login" },
  { pattern: "/signup", screen: "login" },
  { pattern: "/forgot-password", screen: "forgotPassword" },
  { pattern: "/reset-password", screen: "resetPassword" },
  { pattern: "/confirm-email", screen: "confirmEmail" },
  { pattern: "/me/orders", screen: "myOrders" },
  { pattern: "/me/earnings", screen: "myEarnings" },
  { pattern: "/me/security", screen: "security" },
  { pattern: "/me/data", screen: "myData" },
  { pattern: "/me/keys", screen: "myKeys" },
  { pattern: "/me/tickets", screen: "myTickets" },
  { pattern: "/me/subscriptions", screen: "mySubscriptions" },
  { pattern: "/tickets/:ticketId", screen: "ticket" },
  { pattern: "/resale/purchases/:purchaseId", screen: "purchase" },
  { pattern: "/entitlements/:entitlementId", screen: "timeline" },
  { pattern: "/agent", screen: "agent" },
  { pattern: "/agent/join", screen: "agent" },
  { pattern: "/merchant", screen: "merchant" },
  { pattern: "/merchant/:tab", screen: "merchant" },
  { pattern: "/audit", screen: "auditor" },
  { pattern: "/audit/:tab", screen: "auditor" },
  { pattern: "/admin", screen: "admin" },
  { pattern: "/admin/:tab", screen: "admin" },
  { pattern: "/tx/:hash", screen: "tx" },
  { pattern: "/disputes/:disputeId", screen: "dispute" },
  { pattern: "/s/:slug", screen: "substore" },
  { pattern: "/g/:groupId", screen: "group" },
] as const satisfies readonly { pattern: string; screen: ScreenName }[];
export type RoutePattern = (typeof routeTable)[number]["pattern"];

/** Matches "/shop/:slug" against "/shop/demo" -> { slug: "demo" }; undefined when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const patternParts = pattern.split("/").filter(Boolean);
  const pathParts = path.split("/").filter(Boolean);
  if (patternParts.length !== pathParts.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < patternParts.length; index++) {
    const expected = patternParts[index]!;
    const actual = pathParts[index]!;
    if (expected.startsWith(":")) {
      // A malformed escape in a typed URL names no route (the not-found screen), not an exception.
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (expected !== actual) return undefined;
  }
  return params;
}

/** The first route matching `path`, with its parameters. */
export function matchRoute(path: string): { pattern: RoutePattern; screen: ScreenName; params: Record<string, string> } | undefined {
  for (const route of routeTable) {
    const params = matchPath(route.pattern, path);
    if (params) return { pattern: route.pattern, screen: route.screen, params };
  }
  return undefined;
}
