// The Express application, exported separately from the code that listens (api/main.ts), so
// tests drive it directly. Routes are thin: validate, call a service, respond.
import { existsSync } from "node:fs";
import express, { type Express, type Router } from "express";
import helmet from "helmet";
import type { AppContext } from "../context.ts";
import { requireSetting } from "../../core/config.ts";
import { loadSession } from "./auth.ts";
import { errorHandler, notFoundHandler } from "./errorHandler.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { contentSecurityPolicyDirectives } from "./contentSecurityPolicy.ts";
import { serveDocsPage } from "./docsPage.ts";
import { serveStaticAssets } from "./staticAssets.ts";
import { storefrontFirstData } from "./storefrontFirstData.ts";
import { loadWebShell } from "./webShell.ts";
import { bigintReplacer } from "../../core/json.ts";
import { headersSetBy, recordRequestLatency, serveLeanRoutes } from "./leanRoutes.ts";
import { labelRoute } from "./requestObservation.ts";
import { metricsRouter, queueDashboardRouter, readinessRouter } from "./routes/operations.ts";
import { routeRegistry } from "./route.ts";
import { accountsRouter } from "./routes/accounts.ts";
import { accountSecurityRouter } from "./routes/accountSecurity.ts";
import { epaySandboxRouter } from "./routes/epaySandbox.ts";
import { pricingRouter } from "./routes/pricing.ts";
import { distributionRouter } from "./routes/distribution.ts";
import { dockingRouter } from "./routes/docking.ts";
import { webhooksRouter } from "./routes/webhooks.ts";
import { merchantRouter } from "./routes/merchant.ts";
import { ordersRouter } from "./routes/orders.ts";
import { paymentsRouter } from "./routes/payments.ts";
import { publicConfigRouter } from "./routes/publicConfig.ts";
import { shopsRouter } from "./routes/shops.ts";
import { verifyRouter } from "./routes/verify.ts";
import { trustedProxies } from "./clientAddress.ts";
import { shopSlugForHost } from "../services/saas/shopProfile.ts";
import { saasRouter } from "./routes/saas.ts";
import { currenciesRouter } from "./routes/currencies.ts";
import { receiptsRouter } from "./routes/receipts.ts";
import { complianceRouter } from "./routes/compliance.ts";
import { quotasRouter } from "./routes/quotas.ts";
import { captchaRouter } from "./routes/captcha.ts";
import { riskRouter } from "./routes/risk.ts";
import { disputesRouter } from "./routes/disputes.ts";
import { apiKeysRouter } from "./routes/apiKeys.ts";
import { createAttemptThrottle } from "../services/throttles/attemptThrottle.ts";

export type CreateAppOptions = {
  /** Built web application to serve (web/dist); omitted in API-only deployments. */
  webDistDir?: string;
  /** Extra routers mounted under /api (ledger, chain records), added by their owners. */
  extraRouters?: Router[];
};

const apiCacheControl = "no-store";

export function createApp(ctx: AppContext, options: CreateAppOptions = {}): Express {
  const app = express();
  const pepper = requireSetting(
    ctx.config.secrets.queryPasswordPepper,
    "QUERY_PASSWORD_PEPPER",
    "Set it to a long random string (e.g. `openssl rand -hex 32`).",
  );
  app.disable("x-powered-by");
  app.set("trust proxy", trustedProxies);
  app.set("json replacer", bigintReplacer);
  // No ETags on API answers: Express hashed every JSON body (SHA-1) to make one, and an order
  // page, a checkout or a notification is never revalidated. Static files keep theirs
  // (api/http/staticAssets.ts sets its own).
  app.set("etag", false);
  const shell = options.webDistDir && existsSync(options.webDistDir) ? loadWebShell(options.webDistDir) : undefined;
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: contentSecurityPolicyDirectives({
        publicRpcUrl: ctx.config.chain.publicRpcUrl,
        publicUrl: ctx.config.http.publicUrl,
        inlineStyleSources: shell?.inlineStyleSources,
        inlineScriptSources: shell?.inlineScriptSources,
      }),
    },
    frameguard: { action: "deny" },
  });
  app.use(securityHeaders);
  // Probes: alive (this process answers) and ready (its dependencies do; api/http/routes/operations.ts).
  app.get("/healthz", (_req, res) => {
    labelRoute(res, "/healthz");
    res.json({ ok: true });
  });
  app.use(readinessRouter(ctx));
  // No API answer is stored by a browser or a proxy: order pages, look-ups, certificates and
  // reveals carry codes, salts and access tokens, and a default for every answer cannot be
  // forgotten by the next route (the lean routes send the same header, below).
  app.use("/api", (_req, res, next) => {
    res.set("cache-control", apiCacheControl);
    next();
  });
  app.use("/api", express.json({ limit: ctx.config.http.bodyLimitBytes, strict: true }));
  app.use(
    loadSession(ctx.database.db, {
      hashKey: ctx.config.apiKeys.hashKey,
      // The login's atomic Redis counter, one rule: requests per key per minute (docs/api-keys.md).
      throttle: createAttemptThrottle({
        redis: ctx.queues.connection,
        timeoutMs: ctx.config.redis.throttleTimeoutMs,
        prefix: `${ctx.config.redis.prefix}:api-key`,
        rules: [{ name: "key", points: ctx.config.apiKeys.requestsPerMinuteMax, windowSeconds: 60 }],
        what: "requests with this API key",
      }),
    }),
  );

  // The sale's hot routes (checkout, payment notification, order page) are matched first:
  // every router mounted before them costs each of their requests a walk over its routes.
  // No path of the later routers is shadowed by theirs.
  const hotRouters = [ordersRouter(ctx, { queryPasswordPepper: pepper }), paymentsRouter(ctx)];
  for (const router of hotRouters) app.use("/api", router);
  // The same routes answered ahead of Express when it would add nothing (api/http/leanRoutes.ts).
  serveLeanRoutes(app, hotRouters, {
    db: ctx.database.db,
    logger: ctx.logger,
    bodyLimitBytes: ctx.config.http.bodyLimitBytes,
    headers: { ...headersSetBy(securityHeaders), "cache-control": apiCacheControl },
  });
  app.use("/api", accountsRouter(ctx));
  app.use("/api", accountSecurityRouter(ctx));
  app.use("/api", shopsRouter(ctx));
  app.use("/api", merchantRouter(ctx));
  app.use("/api", quotasRouter(ctx));
  app.use("/api", saasRouter(ctx));
  app.use("/api", complianceRouter(ctx));
  app.use("/api", currenciesRouter(ctx));
  app.use("/api", receiptsRouter(ctx, { queryPasswordPepper: pepper }));
  app.use("/api", captchaRouter(ctx));
  app.use("/api", riskRouter(ctx));
  app.use("/api", disputesRouter(ctx));
  app.use("/api", apiKeysRouter(ctx));
  app.use("/api", metricsRouter(ctx));
  app.use("/api", queueDashboardRouter(ctx));
  app.use("/api", pricingRouter(ctx));
  app.use("/api", distributionRouter(ctx));
  app.use("/api", dockingRouter(ctx));
  app.use("/api", webhooksRouter(ctx));
  app.use("/api", verifyRouter(ctx));
  app.use("/api", publicConfigRouter(ctx));
  for (const router of options.extraRouters ?? []) app.use("/api", router);
  if (ctx.config.payments.epaySandboxSecret) app.use("/sandbox/epay", epaySandboxRouter(ctx.config.payments.epaySandboxSecret));

  app.get("/api/openapi.json", (_req, res) => {
    res.json(buildOpenApiDocument(routeRegistry, { version: "1", serverUrl: ctx.config.http.publicUrl }));
  });
  serveDocsPage(app, "/api/openapi.json");
  app.use("/api", notFoundHandler);

  if (options.webDistDir && shell) {
    const assets = serveStaticAssets(options.webDistDir);
    app.use(assets.handler);
    // The web app routes on the client: every other GET gets index.html.
    // A shop's proved custom domain opens its storefront (docs/saas.md, "Custom domain"): the Host
    // only picks the shop; the redirect is relative and every link still comes from PUBLIC_URL.
    app.get("/", async (req, res, next) => {
      try {
        const slug = await shopSlugForHost(ctx.database.db, req.hostname ?? "");
        if (slug) res.redirect(302, `/shop/${encodeURIComponent(slug)}`);
        else next();
      } catch (error) {
        next(error);
      }
    });
    // Written per path: the screen's chunks hinted, a storefront page's first answers embedded,
    // its first paint written into #root (api/http/webShell.ts, api/http/firstPaint.ts).
    app.get(/^\/(?!api\/|sandbox\/).*/, async (req, res) => {
      const first = await storefrontFirstData(ctx, req.path);
      assets.sendDocument(req, res, shell.documentFor(req.path, req.headers["accept-language"], first));
    });
  }
  app.use(notFoundHandler);
  app.use(errorHandler(ctx.logger));
  recordRequestLatency(app, ctx.observability.metrics.httpRequestDuration);
  return app;
}
