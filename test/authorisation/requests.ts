// A valid request for every row of the matrix (matrix.ts), so the answer observed is the
// authorisation answer and not a validation error: real ids from the fixtures (world.ts),
// complete bodies, and a fresh resource where an allowed call would use one up (`allowed` is
// true for a cell whose expected answer is "ok"). Rows that change something name a probe: a
// query whose result a refused call must leave as it was.
import { randomBytes } from "node:crypto";
import { queryOne, sql } from "../../core/store/database.ts";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys } from "../support/merchantSetup.ts";
import { waitFor } from "../support/platform.ts";
import { freshTotpCode, totpCode } from "../support/totp.ts";
import type { Role } from "./matrix.ts";
import type { World } from "./world.ts";
import { ticketRequests } from "./ticketRequests.ts";
import { saasRequests } from "./saasRequests.ts";
import { currencyRequests } from "./currencyRequests.ts";
import { receiptRequests } from "./receiptRequests.ts";
import { crossdockRequests } from "./crossdockRequests.ts";
import { complianceRequests } from "./complianceRequests.ts";
import { subscriptionRequests } from "./subscriptionRequests.ts";
import { auditedChanges } from "./probes.ts";

export type Call = {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The session to send instead of the role's own (null: none). */
  token?: string | null;
};
export type Cell = { role: Role; allowed: boolean };
export type RowRequests = {
  build: (world: World, cell: Cell) => Call | Promise<Call>;
  /** SQL whose single value a refused call must not change (the affected table's rows). */
  probe?: string | ((world: World) => string);
};

const get = (path: string): Call => ({ method: "GET", path });
const post = (path: string, body: unknown = {}): Call => ({ method: "POST", path, body });
const del = (path: string): Call => ({ method: "DELETE", path });
const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
const count = (table: string) => `SELECT count(*)::text FROM ${table}`;

function epayNotification(method: "GET" | "POST", path: string, params: Record<string, string>): Call {
  if (method === "GET") return get(`${path}?${query(params)}`);
  return { method, path, body: query(params), headers: { "content-type": "application/x-www-form-urlencoded" } };
}

const shopA = (w: World) => w.shopA.shopId;

/** Shop A's webhook endpoint (to an address nobody listens on) with one delivered delivery. */
/** A docked listing in shop A of a product of shop B's, with no keys (docs/docking.md): the restock rows' subject. */
const restockListings = new WeakMap<World, Promise<string>>();
function restockListing(w: World): Promise<string> {
  if (!restockListings.has(w))
    restockListings.set(
      w,
      (async () => {
        const created = await w.shopB.merchant.post(`/api/shops/${w.shopB.shopId}/products`, {
          name: "Matrix restocked card",
          category: "game_card",
          priceMinor: "1000",
          currency: "CNY",
        });
        if (created.status !== 201) throw new Error(`product answered ${created.status}: ${created.text}`);
        const offered = await w.shopB.merchant.put(`/api/shops/${w.shopB.shopId}/docking/offers/${created.body.id}`, { wholesalePriceMinor: "600" });
        if (offered.status !== 200) throw new Error(`offer answered ${offered.status}: ${offered.text}`);
        const listed = await w.shopA.merchant.post(`/api/shops/${shopA(w)}/docking/listings`, {
          supplyProductId: created.body.id,
          name: "Matrix restocked listing",
          priceMinor: "900",
        });
        if (listed.status !== 201) throw new Error(`listing answered ${listed.status}: ${listed.text}`);
        const ruled = await w.shopA.merchant.put(`/api/shops/${shopA(w)}/docking/listings/${listed.body.productId}/restock`, restockRule);
        if (ruled.status !== 200) throw new Error(`restock rule answered ${ruled.status}: ${ruled.text}`);
        return listed.body.productId as string;
      })(),
    );
  return restockListings.get(w)!;
}
const restockRule = { threshold: 2, batchKeys: 5, maxKeys: 10, budgetMinor: "6000", enabled: true };

const webhookFixtures = new WeakMap<World, Promise<{ endpointId: string; deliveryId: string }>>();
function webhookFixture(w: World): Promise<{ endpointId: string; deliveryId: string }> {
  if (!webhookFixtures.has(w))
    webhookFixtures.set(
      w,
      (async () => {
        const created = await w.shopA.merchant.post(`/api/shops/${shopA(w)}/webhooks`, { url: "http://127.0.0.1:9/matrix", events: ["dispute.opened"] });
        if (created.status !== 201) throw new Error(`webhook endpoint answered ${created.status}: ${created.text}`);
        const db = w.platform.ctx.database.db;
        const event = await queryOne<{ id: string }>(
          db,
          sql`INSERT INTO webhook_events (shop_id, sequence, type, payload) VALUES (${shopA(w)}, 1000000, 'dispute.opened', '{}') RETURNING id::text`,
        );
        const delivery = await queryOne<{ id: string }>(
          db,
          sql`INSERT INTO webhook_deliveries (endpoint_id, event_row_id, sequence, state, delivered_at) VALUES (${created.body.id}, ${event!.id}, 1000000, 'delivered', now()) RETURNING id::text`,
        );
        return { endpointId: created.body.id as string, deliveryId: delivery!.id };
      })(),
    );
  return webhookFixtures.get(w)!;
}
/** Buyer A's dispute that refused calls are asked about (opened once per world). */
const sharedDisputes = new WeakMap<World, Promise<string>>();
const sharedDispute = (w: World) => {
  if (!sharedDisputes.has(w)) sharedDisputes.set(w, w.fresh.dispute("open"));
  return sharedDisputes.get(w)!;
};

/** A review by buyer A of a freshly bought, issued entitlement (each allowed reply or hide needs its own). */
async function freshReview(w: World): Promise<string> {
  const { entitlementId } = await w.fresh.sealedEntitlement(w.people.buyer);
  const review = await w.people.buyer.client.post("/api/reviews", { entitlementId, productId: w.products.sealed, stars: 4, body: "matrix review" });
  if (review.status !== 201) throw new Error(`review answered ${review.status}: ${review.text}`);
  return review.body.id as string;
}
// One review shared by the cells that change nothing of it (refusals, one report per role).
const sharedReviews = new WeakMap<World, Promise<string>>();
function sharedReview(w: World): Promise<string> {
  if (!sharedReviews.has(w)) sharedReviews.set(w, freshReview(w));
  return sharedReviews.get(w)!;
}
const reviewFor = (w: World, cell: Cell) => (cell.allowed ? freshReview(w) : sharedReview(w));

/** A new API key of merchant A's (its id). */
async function merchantKey(w: World): Promise<string> {
  const created = await w.people.merchant.client.post("/api/api-keys", { name: "matrix revoke", scopes: ["products:read"] });
  if (created.status !== 201) throw new Error(`api key: ${created.status} ${created.text}`);
  return created.body.key.id as string;
}
const sharedMerchantKeys = new WeakMap<World, Promise<string>>();
const sharedMerchantKey = (w: World) => {
  if (!sharedMerchantKeys.has(w)) sharedMerchantKeys.set(w, merchantKey(w));
  return sharedMerchantKeys.get(w)!;
};

const rentalTerms = { pricePerDayMinor: "200", currency: "CNY", minDays: 1, maxDays: 3 };

/** A fresh sealed entitlement of `person`, offered for rent; returns the offer's id. */
async function rentalOffer(w: World, person: World["seller"]): Promise<string> {
  const { entitlementId } = await w.fresh.sealedEntitlement(person);
  const offered = await person.client.post("/api/rentals/listings", { entitlementId, ...rentalTerms });
  if (offered.status !== 201) throw new Error(`rental offer: ${offered.status} ${offered.text}`);
  return offered.body.id;
}

type RentalFixtures = {
  offeredByBuyer: { id: string; entitlementId: string };
  /** Buyer A's rental of the seller's entitlement: paid, and its setUser on-chain (so A may use it). */
  rentedByBuyer: { id: string; entitlementId: string };
  /** A checkout of buyer A's to notify (every cell sends the same trade number: replays answer success). */
  toNotify: { id: string; amountMinor: string };
};
const rentalFixtureCache = new WeakMap<World, Promise<RentalFixtures>>();

/** Made once per world, on first use. */
function rentalFixtures(w: World): Promise<RentalFixtures> {
  let fixtures = rentalFixtureCache.get(w);
  if (!fixtures) {
    fixtures = (async () => {
      const buyer = w.people.buyer;
      const own = await w.fresh.sealedEntitlement(buyer);
      const offered = await buyer.client.post("/api/rentals/listings", { entitlementId: own.entitlementId, ...rentalTerms });
      const rented = await buyer.client.post(`/api/rentals/listings/${await rentalOffer(w, w.seller)}/rentals`, { days: 1 });
      const notify = await buyer.client.post(`/api/rentals/listings/${await rentalOffer(w, w.seller)}/rentals`, { days: 2 });
      for (const response of [offered, rented, notify]) if (response.status !== 201) throw new Error(`rental fixtures: ${response.status} ${response.text}`);
      const paid = await buyer.client.get(
        `/api/rentals/payments/epay/notify?${query(signedNotification(w.platformMerchant, { id: rented.body.id, amountMinor: rented.body.priceMinor }, "T-MATRIX-RENTED"))}`,
      );
      if (paid.text !== "success") throw new Error(`rental payment: ${paid.text}`);
      await waitFor(
        "the rental's setUser on-chain",
        async () => ((await buyer.client.get(`/api/rentals/${rented.body.id}`)).body.chainState === "included" ? true : undefined),
        120_000,
        200,
      );
      return {
        offeredByBuyer: { id: offered.body.id, entitlementId: own.entitlementId },
        rentedByBuyer: { id: rented.body.id, entitlementId: rented.body.entitlementId },
        toNotify: { id: notify.body.id, amountMinor: notify.body.priceMinor },
      };
    })();
    rentalFixtureCache.set(w, fixtures);
  }
  return fixtures;
}
/** The group every join row joins: opened once per world by an account that is none of the columns. */
const groupOfferBody = { priceMinor: "500", size: 50, windowHours: 1, active: true };
const sharedGroups = new WeakMap<World, Promise<{ productId: string; groupId: string }>>();
const sharedGroup = (w: World) => {
  if (!sharedGroups.has(w)) {
    sharedGroups.set(
      w,
      (async () => {
        const productId = await createProduct(w.shopA, { name: "Matrix group card", quantityMax: 5 });
        await importKeys(w.shopA, productId, randomKeys(30, "MTX"));
        const offer = await w.shopA.merchant.put(`/api/products/${productId}/group-offer`, groupOfferBody);
        if (offer.status !== 200) throw new Error(`group offer: ${offer.status} ${offer.text}`);
        const leader = await w.platform.http.post("/api/auth/signup", {
          email: `group-leader-${randomBytes(4).toString("hex")}@example.com`,
          password: "group-leader-pass-1",
        });
        const opened = await w.platform.http.as(leader.body.token).post(`/api/products/${productId}/groups`, {});
        if (opened.status !== 201) throw new Error(`group: ${opened.status} ${opened.text}`);
        return { productId, groupId: opened.body.group.id as string };
      })(),
    );
  }
  return sharedGroups.get(w)!;
};

/** The guest holds the guest order's token (for buyer A's order: another order's token, which opens nothing). */
const guestToken = (w: World, cell: Cell) => (cell.role === "guest" ? { headers: { "x-order-token": w.guest.token } } : {});

export const requests: Record<string, RowRequests> = {
  "POST /api/auth/signup": {
    build: () => post("/api/auth/signup", { email: `signup-${randomBytes(4).toString("hex")}@example.com`, password: "signup-password-1", roles: ["buyer"] }),
  },
  "POST /api/auth/signup (asking for the admin role)": {
    build: () => post("/api/auth/signup", { email: `signup-${randomBytes(4).toString("hex")}@example.com`, password: "signup-password-1", roles: ["admin"] }),
    probe: count("accounts"),
  },
  "POST /api/auth/login": { build: (w) => post("/api/auth/login", { email: w.seller.email, password: w.seller.password }) },
  "POST /api/auth/logout": {
    build: async (w, cell) => ({ ...post("/api/auth/logout"), token: cell.role === "guest" ? null : await w.fresh.session(w.people[cell.role]) }),
  },
  "GET /api/me": { build: () => get("/api/me") },
  "GET /api/me (with a session that logged out)": {
    build: async (w, cell) => {
      if (cell.role === "guest") return get("/api/me");
      const token = await w.fresh.session(w.people[cell.role]);
      const logout = await w.platform.http.as(token).post("/api/auth/logout");
      if (logout.status !== 204) throw new Error(`logout answered ${logout.status}: ${logout.text}`);
      return { ...get("/api/me"), token };
    },
  },
  "POST /api/auth/second-factor": { build: async (w) => post("/api/auth/second-factor", await w.fresh.secondFactor()) },
  "POST /api/auth/passkey/options": { build: () => post("/api/auth/passkey/options") },
  "POST /api/auth/passkey": { build: async (w) => post("/api/auth/passkey", await w.fresh.passkeySignIn()) },
  "POST /api/auth/password-reset": {
    build: () => post("/api/auth/password-reset", { email: `reset-${randomBytes(4).toString("hex")}@example.com` }),
  },
  "POST /api/auth/password-reset/confirm": {
    build: async (w) => post("/api/auth/password-reset/confirm", { token: await w.fresh.passwordResetToken(), password: "reset-password-2" }),
  },

  // The caller's own security settings. A cell whose call would change them takes a new account
  // of the role's kind (accountLike), so the role's fixture keeps signing in with its password.
  "GET /api/account/security": { build: () => get("/api/account/security") },
  "POST /api/account/security/totp": {
    // Staff have TOTP on already (409 conflict); the others start an enrolment they never confirm.
    build: () => post("/api/account/security/totp"),
    probe: "SELECT count(*)::text FROM account_totp WHERE confirmed_at IS NOT NULL",
  },
  "POST /api/account/security/totp/confirm": {
    build: async (w, cell) => {
      if (cell.role === "guest") return post("/api/account/security/totp/confirm", { code: "123456" });
      const person = await w.fresh.accountLike(cell.role, { totp: false });
      const started = await person.client.post("/api/account/security/totp");
      if (started.status !== 201) throw new Error(`TOTP enrolment answered ${started.status}: ${started.text}`);
      return { ...post("/api/account/security/totp/confirm", { code: await freshTotpCode(started.body.secret) }), token: person.client.token! };
    },
    probe: "SELECT count(*)::text FROM account_totp WHERE confirmed_at IS NOT NULL",
  },
  "POST /api/account/security/totp/disable": {
    // Staff keep TOTP while they have no passkey (409 invalid_state), refused before the code
    // is checked; their current code is sent so nothing else explains the refusal.
    build: async (w, cell) => {
      if (cell.role === "guest") return post("/api/account/security/totp/disable", { code: "123456" });
      const staff = w.people[cell.role];
      if (!cell.allowed) return post("/api/account/security/totp/disable", { code: totpCode(staff.totpSecret!) });
      const person = await w.fresh.accountLike(cell.role, { totp: true });
      return { ...post("/api/account/security/totp/disable", { code: await freshTotpCode(person.totpSecret!) }), token: person.client.token! };
    },
    probe: count("account_totp"),
  },
  "POST /api/account/security/recovery-codes": {
    build: async (w, cell) => {
      if (cell.role === "guest") return post("/api/account/security/recovery-codes", { code: "123456" });
      const person = await w.fresh.accountLike(cell.role, { totp: true });
      return { ...post("/api/account/security/recovery-codes", { code: await freshTotpCode(person.totpSecret!) }), token: person.client.token! };
    },
    probe: count("recovery_codes"),
  },
  "POST /api/account/passkeys/options": { build: () => post("/api/account/passkeys/options") },
  "POST /api/account/passkeys": {
    // A passkey makes sign-in ask for it: each cell adds one to a new account of its role's kind.
    build: async (w, cell) => {
      const person = await w.fresh.accountLike(cell.role === "guest" ? "buyer" : cell.role);
      return { ...post("/api/account/passkeys", await w.fresh.passkeyRegistration(person)), token: cell.role === "guest" ? null : person.client.token! };
    },
    probe: count("passkeys"),
  },
  "DELETE /api/account/passkeys/{passkeyId}": {
    build: async (w, cell) => {
      const person = await w.fresh.accountLike(cell.role === "guest" ? "buyer" : cell.role);
      const { id } = await w.fresh.passkey(person);
      return { ...del(`/api/account/passkeys/${id}`), token: cell.role === "guest" ? null : person.client.token! };
    },
    probe: count("passkeys"),
  },
  "DELETE /api/account/passkeys/{passkeyId} (another account's passkey)": {
    build: async (w) => del(`/api/account/passkeys/${(await w.fresh.passkey(await w.fresh.signUp("passkey-owner"))).id}`),
    probe: count("passkeys"),
  },
  "GET /api/account/sessions": { build: () => get("/api/account/sessions") },
  "DELETE /api/account/sessions/{sessionId}": {
    // The role's own second session (ending it signs out only that device).
    build: async (w, cell) => {
      const person = w.people[cell.role === "guest" ? "buyer" : cell.role];
      return del(`/api/account/sessions/${await w.fresh.sessionId(await w.fresh.session(person))}`);
    },
    probe: count("sessions"),
  },
  "DELETE /api/account/sessions/{sessionId} (another account's session)": {
    build: async (w) => del(`/api/account/sessions/${await w.fresh.sessionId(await w.fresh.session(w.seller))}`),
    probe: count("sessions"),
  },
  "GET /api/account/login-history": { build: () => get("/api/account/login-history") },

  "POST /api/admin/accounts/{accountId}/roles": {
    build: async (w) => post(`/api/admin/accounts/${(await w.fresh.signUp("target")).accountId}/roles`, { roles: ["auditor"] }),
    probe: "SELECT count(*)::text FROM accounts WHERE 'auditor' = ANY(roles)",
  },

  "GET /api/shops": { build: () => get("/api/shops") },
  "POST /api/shops": {
    build: () => {
      const suffix = randomBytes(4).toString("hex");
      return post("/api/shops", { slug: `matrix-${suffix}`, name: `Matrix ${suffix}` });
    },
    probe: count("shops"),
  },
  "GET /api/search": { build: () => get(`/api/search?${query({ q: "matrix" })}`) },
  "GET /api/products/{productId}/reviews": { build: (w) => get(`/api/products/${w.products.sealed}/reviews`) },
  "GET /api/products/{productId}/recommendations": { build: (w) => get(`/api/products/${w.products.sealed}/recommendations`) },
  "GET /api/me/recommendations": { build: () => get("/api/me/recommendations") },
  "POST /api/reviews": {
    // The buyer reviews a fresh entitlement of its own; everyone else tries buyer A's.
    build: async (w, cell) => {
      const entitlementId = cell.allowed ? (await w.fresh.sealedEntitlement(w.people.buyer)).entitlementId : w.sealedA.entitlementId;
      return post("/api/reviews", { entitlementId, productId: w.products.sealed, stars: 5, body: "matrix" });
    },
    probe: count("reviews"),
  },
  "GET /api/account/reviews": { build: () => get("/api/account/reviews") },
  "POST /api/reviews/{reviewId}/reply": {
    build: async (w, cell) => post(`/api/reviews/${await reviewFor(w, cell)}/reply`, { body: "thanks" }),
    probe: "SELECT count(*)::text FROM reviews WHERE reply_body IS NOT NULL",
  },
  "POST /api/reviews/{reviewId}/reports": {
    build: async (w) => post(`/api/reviews/${await sharedReview(w)}/reports`, { reason: "matrix" }),
    probe: count("review_reports"),
  },
  "GET /api/admin/reviews": { build: () => get("/api/admin/reviews") },
  "POST /api/admin/reviews/{reviewId}/hide": {
    build: async (w, cell) => post(`/api/admin/reviews/${await reviewFor(w, cell)}/hide`, { reason: "matrix" }),
    probe: "SELECT count(*)::text FROM reviews WHERE status = 'hidden'",
  },
  "POST /api/admin/reviews/{reviewId}/restore": {
    // A review hidden by the admin first, so an allowed restore has something to restore.
    build: async (w, cell) => {
      const reviewId = await reviewFor(w, cell);
      const hidden = await w.people.admin.client.post(`/api/admin/reviews/${reviewId}/hide`, { reason: "to restore" });
      if (hidden.status !== 200 && hidden.status !== 409) throw new Error(`hide answered ${hidden.status}: ${hidden.text}`);
      return post(`/api/admin/reviews/${reviewId}/restore`, { reason: "matrix" });
    },
    probe: "SELECT count(*)::text FROM reviews WHERE status = 'visible'",
  },
  "GET /api/shops/{shopId}": { build: (w) => get(`/api/shops/${shopA(w)}`) },
  "GET /api/shops/by-slug/{slug}": { build: async (w) => get(`/api/shops/by-slug/${(await w.platform.http.get(`/api/shops/${shopA(w)}`)).body.slug}`) },
  "PUT /api/shops/{shopId}/payment-settings/epay": {
    // The shop's own settings again: the sandbox gateway keeps paying its orders afterwards.
    build: (w) => ({
      method: "PUT",
      path: `/api/shops/${shopA(w)}/payment-settings/epay`,
      body: { gatewayUrl: `${w.platform.url}/sandbox/epay/`, ...w.shopA.sandbox },
    }),
    probe: auditedChanges,
  },
  "GET /api/shops/{shopId}/products": { build: (w) => get(`/api/shops/${shopA(w)}/products`) },
  "GET /api/shops/{shopId}/products (includePaused=true)": { build: (w) => get(`/api/shops/${shopA(w)}/products?includePaused=true`) },
  "POST /api/shops/{shopId}/products": {
    build: (w) => post(`/api/shops/${shopA(w)}/products`, { name: "Matrix extra", category: "game_card", priceMinor: "500", currency: "CNY", quantityMax: 5 }),
    probe: count("products"),
  },
  "GET /api/products/{productId}": { build: (w) => get(`/api/products/${w.products.codes}`) },
  "GET /api/products/{productId} (paused)": { build: (w) => get(`/api/products/${w.products.paused}`) },
  "PATCH /api/products/{productId}": {
    build: (w, cell) => ({ method: "PATCH", path: `/api/products/${w.products.codes}`, body: { description: `edited by ${cell.role}` } }),
    probe: "SELECT string_agg(coalesce(description, ''), ',' ORDER BY id) FROM products",
  },

  "POST /api/products/{productId}/imports": {
    build: (w) => ({
      method: "POST",
      path: `/api/products/${w.products.codes}/imports`,
      body: `MTX-${randomBytes(8).toString("hex").toUpperCase()}\n`,
      headers: { "content-type": "text/plain" },
    }),
    probe: count("imports"),
  },
  "GET /api/imports/{importId}": { build: (w) => get(`/api/imports/${w.importId}`) },
  "GET /api/shops/{shopId}/batches": { build: (w) => get(`/api/shops/${shopA(w)}/batches`) },
  "GET /api/shops/{shopId}/orders": { build: (w) => get(`/api/shops/${shopA(w)}/orders`) },
  "GET /api/shops/{shopId}/sales": { build: (w) => get(`/api/shops/${shopA(w)}/sales`) },
  "POST /api/orders/{orderId}/deliver": {
    build: async (w, cell) =>
      post(`/api/orders/${cell.allowed ? await w.fresh.manualOrder() : w.manualOrderId}/deliver`, { content: "Account: matrix / Password: test" }),
    probe: (w) => `SELECT count(*)::text FROM orders WHERE state = 'fulfilled' AND product_id = ${BigInt(w.products.manual)}`,
  },

  "GET /api/captcha/challenge": { build: () => get("/api/captcha/challenge") },
  "GET /api/shops/{shopId}/reviews": { build: (w) => get(`/api/shops/${shopA(w)}/reviews`) },
  "POST /api/shops/{shopId}/reviews/{orderId}": {
    build: async (w) => post(`/api/shops/${shopA(w)}/reviews/${await w.fresh.heldOrder()}`, { decision: "reject" }),
    probe: "SELECT count(*)::text FROM orders WHERE risk_review = 'pending'",
  },
  "GET /api/shops/{shopId}/blacklist": { build: (w) => get(`/api/shops/${shopA(w)}/blacklist`) },
  "POST /api/shops/{shopId}/blacklist": {
    build: (w) => post(`/api/shops/${shopA(w)}/blacklist`, { kind: "email", value: `bl-${randomBytes(4).toString("hex")}@example.com`, reason: "matrix" }),
    probe: count("blacklist_entries"),
  },
  "DELETE /api/shops/{shopId}/blacklist/{entryId}": {
    build: async (w) => del(`/api/shops/${shopA(w)}/blacklist/${await w.fresh.blacklistEntry(shopA(w))}`),
    probe: count("blacklist_entries"),
  },
  "PUT /api/products/{productId}/risk-thresholds": {
    build: (w) => ({ method: "PUT", path: `/api/products/${w.products.reviewed}/risk-thresholds`, body: { reviewScore: 0, blockScore: null } }),
    probe: auditedChanges,
  },
  "GET /api/admin/blacklist": { build: () => get("/api/admin/blacklist") },
  "POST /api/admin/blacklist": {
    build: () => post("/api/admin/blacklist", { kind: "email", value: `bl-${randomBytes(4).toString("hex")}@example.com`, reason: "matrix" }),
    probe: count("blacklist_entries"),
  },
  "DELETE /api/admin/blacklist/{entryId}": {
    build: async (w) => del(`/api/admin/blacklist/${await w.fresh.blacklistEntry(null)}`),
    probe: count("blacklist_entries"),
  },
  "GET /api/merchant/quotas": { build: () => get("/api/merchant/quotas") },
  "GET /api/admin/merchants/{accountId}/quotas": { build: (w) => get(`/api/admin/merchants/${w.people.merchant.accountId}/quotas`) },
  "PUT /api/admin/merchants/{accountId}/quotas": {
    // The limits the test platform runs with (test/support/platform.ts), so nothing else changes.
    build: (w) => ({
      method: "PUT",
      path: `/api/admin/merchants/${w.people.merchant.accountId}/quotas`,
      body: { shopsMax: 10_000, importsPerDayMax: 100_000, keysPerDayMax: 100_000_000 },
    }),
    probe: auditedChanges,
  },

  "POST /api/products/{productId}/quote": { build: (w) => post(`/api/products/${w.products.codes}/quote`, { quantity: 1 }) },
  "GET /api/products/{productId}/pricing": { build: (w) => get(`/api/products/${w.products.codes}/pricing`) },
  // Empty tables and no limit: the rules the other rows' orders are priced by stay as they were.
  "PUT /api/products/{productId}/tiers": {
    build: (w) => ({ method: "PUT", path: `/api/products/${w.products.codes}/tiers`, body: { tiers: [] } }),
    probe: auditedChanges,
  },
  "PUT /api/products/{productId}/purchase-limit": {
    build: (w) => ({ method: "PUT", path: `/api/products/${w.products.codes}/purchase-limit`, body: { perBuyerDailyMax: null } }),
    probe: auditedChanges,
  },
  // Group buying (docs/groupbuy.md): offers on the reviewed product; groups on a product of their own (every allowed open and join reserves a key).
  "GET /api/products/{productId}/group-offer": { build: (w) => get(`/api/products/${w.products.reviewed}/group-offer`) },
  "PUT /api/products/{productId}/group-offer": {
    build: (w) => ({ method: "PUT", path: `/api/products/${w.products.reviewed}/group-offer`, body: groupOfferBody }),
    probe: auditedChanges,
  },
  "POST /api/products/{productId}/groups": {
    build: async (w) => post(`/api/products/${(await sharedGroup(w)).productId}/groups`, {}),
    probe: count("orders"),
  },
  "POST /api/groups/{groupId}/join": { build: async (w) => post(`/api/groups/${(await sharedGroup(w)).groupId}/join`, {}), probe: count("orders") },
  "GET /api/groups/{groupId}": { build: async (w) => get(`/api/groups/${(await sharedGroup(w)).groupId}`) },
  "GET /api/shops/{shopId}/levels": { build: (w) => get(`/api/shops/${shopA(w)}/levels`) },
  "PUT /api/shops/{shopId}/levels": {
    build: (w) => ({ method: "PUT", path: `/api/shops/${shopA(w)}/levels`, body: { levels: [] } }),
    probe: auditedChanges,
  },
  "POST /api/shops/{shopId}/coupons": {
    build: (w) => post(`/api/shops/${shopA(w)}/coupons`, { count: 2, kind: "percent", value: 5 }),
    probe: count("coupons"),
  },
  "GET /api/shops/{shopId}/coupons": { build: (w) => get(`/api/shops/${shopA(w)}/coupons`) },
  "POST /api/shops/{shopId}/coupons/{couponId}/disable": {
    build: async (w) => {
      const code = `MTX${randomBytes(4).toString("hex").toUpperCase()}`;
      const created = await w.shopA.merchant.post(`/api/shops/${shopA(w)}/coupons`, { code, kind: "percent", value: 5 });
      if (created.status !== 201) throw new Error(`coupon answered ${created.status}: ${created.text}`);
      const listed = await w.shopA.merchant.get(`/api/shops/${shopA(w)}/coupons?limit=1000`);
      const coupon = listed.body.items.find((item: { code: string }) => item.code === code);
      return post(`/api/shops/${shopA(w)}/coupons/${coupon.id}/disable`);
    },
    probe: "SELECT count(*)::text FROM coupons WHERE disabled_at IS NOT NULL",
  },

  "POST /api/shops/{shopId}/agent-invitations": { build: (w) => post(`/api/shops/${shopA(w)}/agent-invitations`), probe: count("agent_invitations") },
  // Shop B's invitation: buyer A is already shop A's agent; shop B's merchant may not join its own shop.
  "POST /api/agent-invitations/accept": {
    build: async (w) =>
      post("/api/agent-invitations/accept", {
        token: await w.fresh.agentInvitation(w.shopB),
        slug: `mtx-${randomBytes(4).toString("hex")}`,
        name: "Matrix sub-store",
        colour: "#123456",
      }),
    probe: count("substores"),
  },
  // The fixture's own bounds and no commission: the other rows' orders are priced as before.
  "PUT /api/products/{productId}/agent-markup": {
    build: (w) => ({
      method: "PUT",
      path: `/api/products/${w.products.codes}/agent-markup`,
      body: { bounds: { markupMinMinor: "10", markupMaxMinor: "100" } },
    }),
    probe: auditedChanges,
  },
  "PUT /api/shops/{shopId}/commission-rates": {
    build: (w) => ({ method: "PUT", path: `/api/shops/${shopA(w)}/commission-rates`, body: { levelsBps: [0, 0, 0] } }),
    probe: auditedChanges,
  },
  // The agent sets the fixture's markup again; a refused cell asks for another, which the probe would see.
  "POST /api/substores/{substoreId}/products": {
    build: (w, cell) => post(`/api/substores/${w.distribution.substoreId}/products`, { productId: w.products.codes, markupMinor: cell.allowed ? "60" : "77" }),
    probe: "SELECT coalesce(sum(markup_minor), 0)::text FROM substore_products",
  },
  "PUT /api/substores/{substoreId}/products/{productId}": {
    build: (w, cell) => ({
      method: "PUT",
      path: `/api/substores/${w.distribution.substoreId}/products/${w.products.codes}`,
      body: { markupMinor: cell.allowed ? "60" : "77" },
    }),
    probe: "SELECT coalesce(sum(markup_minor), 0)::text FROM substore_products",
  },
  "GET /api/substores/{slug}": { build: (w) => get(`/api/substores/${w.distribution.slug}`) },
  "GET /api/products/{productId}/share-commission": { build: (w) => get(`/api/products/${w.products.codes}/share-commission`) },
  "POST /api/shops/{shopId}/referrals": {
    build: (w) => post(`/api/shops/${shopA(w)}/referrals`, { code: w.distribution.referralCode }),
    probe: count("referral_attachments"),
  },
  "GET /api/agent/overview": { build: () => get("/api/agent/overview") },
  "POST /api/agent/payouts": { build: () => post("/api/agent/payouts", { amountMinor: "100", currency: "CNY" }), probe: count("ledger_holds") },
  // Shop A offers its codes product; shop A lists a product that shop B offers (a new one per cell).
  "PUT /api/shops/{shopId}/docking/offers/{productId}": {
    build: (w) => ({
      method: "PUT",
      path: `/api/shops/${shopA(w)}/docking/offers/${w.products.codes}`,
      body: { wholesalePriceMinor: String(100 + randomBytes(1)[0]!) },
    }),
    probe: "SELECT coalesce(string_agg(product_id || ':' || wholesale_price_minor || ':' || state, ',' ORDER BY product_id), '') FROM docking_offers",
  },
  "POST /api/shops/{shopId}/docking/offers/{productId}/stop": {
    build: async (w) => {
      const offered = await w.shopA.merchant.put(`/api/shops/${shopA(w)}/docking/offers/${w.products.codes}`, { wholesalePriceMinor: "500" });
      if (offered.status !== 200) throw new Error(`offer answered ${offered.status}: ${offered.text}`);
      return post(`/api/shops/${shopA(w)}/docking/offers/${w.products.codes}/stop`);
    },
    probe: "SELECT count(*)::text FROM docking_offers WHERE state = 'stopped'",
  },
  "GET /api/docking/offers": { build: () => get("/api/docking/offers") },
  "GET /api/shops/{shopId}/docking": { build: (w) => get(`/api/shops/${shopA(w)}/docking`) },
  "POST /api/shops/{shopId}/docking/listings": {
    build: async (w) => {
      const created = await w.shopB.merchant.post(`/api/shops/${w.shopB.shopId}/products`, {
        name: "Matrix docked card",
        category: "game_card",
        priceMinor: "1000",
        currency: "CNY",
      });
      if (created.status !== 201) throw new Error(`product answered ${created.status}: ${created.text}`);
      const offered = await w.shopB.merchant.put(`/api/shops/${w.shopB.shopId}/docking/offers/${created.body.id}`, { wholesalePriceMinor: "600" });
      if (offered.status !== 200) throw new Error(`offer answered ${offered.status}: ${offered.text}`);
      return post(`/api/shops/${shopA(w)}/docking/listings`, { supplyProductId: created.body.id, name: "Matrix listing", priceMinor: "900" });
    },
    probe: "SELECT count(*)::text FROM products WHERE supply_product_id IS NOT NULL",
  },
  "GET /api/shops/{shopId}/docking/listings/{productId}/restock": {
    build: async (w) => get(`/api/shops/${shopA(w)}/docking/listings/${await restockListing(w)}/restock`),
  },
  "PUT /api/shops/{shopId}/docking/listings/{productId}/restock": {
    build: async (w, cell) => ({
      method: "PUT",
      path: `/api/shops/${shopA(w)}/docking/listings/${await restockListing(w)}/restock`,
      body: { ...restockRule, budgetMinor: cell.allowed ? "6000" : "1" },
    }),
    probe: "SELECT coalesce(string_agg(listing_product_id || ':' || budget_remaining_minor, ',' ORDER BY listing_product_id), '') FROM docking_restock_rules",
  },

  "GET /api/shops/{shopId}/webhooks": { build: (w) => get(`/api/shops/${shopA(w)}/webhooks`) },
  "POST /api/shops/{shopId}/webhooks": {
    build: (w) => post(`/api/shops/${shopA(w)}/webhooks`, { url: "http://127.0.0.1:9/matrix", events: ["order.paid"] }),
    probe: count("webhook_endpoints"),
  },
  "PATCH /api/shops/{shopId}/webhooks/{endpointId}": {
    build: async (w, cell) => ({
      method: "PATCH",
      path: `/api/shops/${shopA(w)}/webhooks/${(await webhookFixture(w)).endpointId}`,
      body: { description: cell.allowed ? "matrix" : "refused" },
    }),
    probe: "SELECT coalesce(string_agg(description, ',' ORDER BY id), '') FROM webhook_endpoints",
  },
  "POST /api/shops/{shopId}/webhooks/{endpointId}/rotate": {
    build: async (w) => post(`/api/shops/${shopA(w)}/webhooks/${(await webhookFixture(w)).endpointId}/rotate`, { overlapSeconds: 60 }),
    probe: count("webhook_secrets"),
  },
  "GET /api/shops/{shopId}/webhooks/{endpointId}/deliveries": {
    build: async (w) => get(`/api/shops/${shopA(w)}/webhooks/${(await webhookFixture(w)).endpointId}/deliveries`),
  },
  "POST /api/shops/{shopId}/webhooks/{endpointId}/deliveries/{deliveryId}/replay": {
    build: async (w) => {
      const fixture = await webhookFixture(w);
      return post(`/api/shops/${shopA(w)}/webhooks/${fixture.endpointId}/deliveries/${fixture.deliveryId}/replay`);
    },
    probe: count("webhook_deliveries"),
  },
  "GET /api/shops/{shopId}/notices": { build: (w) => get(`/api/shops/${shopA(w)}/notices`) },

  "POST /api/orders": {
    build: (w, cell) =>
      post("/api/orders", {
        productId: w.products.codes,
        quantity: 1,
        ...(cell.role === "guest" ? { contact: `checkout-${randomBytes(4).toString("hex")}@example.com`, queryPassword: "checkout-pass-1" } : {}),
      }),
  },
  "POST /api/orders/lookup": {
    build: (w) => post("/api/orders/lookup", { orderId: w.guest.id, contact: w.guest.contact, queryPassword: w.guest.queryPassword }),
  },
  "GET /api/orders/{orderId}": { build: (w, cell) => ({ ...get(`/api/orders/${w.orderA.id}`), ...guestToken(w, cell) }) },
  "GET /api/orders/{orderId} (guest order)": { build: (w, cell) => ({ ...get(`/api/orders/${w.guest.id}`), ...guestToken(w, cell) }) },
  "GET /api/orders/{orderId} (guest order, revoked token)": {
    build: (w) => ({ ...get(`/api/orders/${w.revokedGuest.id}`), headers: { "x-order-token": w.revokedGuest.token } }),
  },
  "POST /api/orders/{orderId}/reveal": {
    build: (w, cell) => ({ ...post(`/api/orders/${w.sealedOrderA.orderId}/reveal`), ...guestToken(w, cell) }),
    probe: "SELECT count(*)::text FROM entitlements WHERE state = 'redeemed'",
  },
  // Disputes: an allowed call uses a fresh order or dispute (one undecided dispute per order;
  // a decision or escalation moves it on); a refused one is asked about buyer A's shared one.
  "POST /api/orders/{orderId}/disputes": {
    build: async (w, cell) => ({
      ...post(`/api/orders/${cell.allowed ? (await w.fresh.paidOrder()).id : w.orderA.id}/disputes`, { category: "key_invalid", statement: "matrix" }),
      ...guestToken(w, cell),
    }),
    probe: count("disputes"),
  },
  "POST /api/orders/{orderId}/disputes (guest order)": {
    build: async (w, cell) => {
      const order = cell.allowed ? await w.fresh.guestOrder() : w.guest;
      const token = cell.role === "guest" ? { headers: { "x-order-token": order.token } } : {};
      return { ...post(`/api/orders/${order.id}/disputes`, { category: "not_received", statement: "matrix" }), ...token };
    },
    probe: count("disputes"),
  },
  "GET /api/disputes/{disputeId}": { build: async (w, cell) => ({ ...get(`/api/disputes/${await sharedDispute(w)}`), ...guestToken(w, cell) }) },
  "POST /api/disputes/{disputeId}/decision": {
    build: async (w, cell) => {
      const disputeId = cell.allowed ? await w.fresh.dispute(cell.role === "admin" ? "escalated by buyer" : "open") : await sharedDispute(w);
      return post(`/api/disputes/${disputeId}/decision`, { outcome: "reject", reason: "matrix" });
    },
    probe: "SELECT count(*)::text FROM disputes WHERE outcome IS NOT NULL",
  },
  "POST /api/disputes/{disputeId}/escalate": {
    build: async (w, cell) => ({
      ...post(`/api/disputes/${cell.allowed ? await w.fresh.dispute("open") : await sharedDispute(w)}/escalate`),
      ...guestToken(w, cell),
    }),
    probe: "SELECT count(*)::text FROM disputes WHERE state = 'escalated'",
  },
  "POST /api/disputes/{disputeId}/answer": {
    build: async (w, cell) => {
      // Each party answers the other's escalation.
      const disputeId = cell.allowed ? await w.fresh.dispute(cell.role === "buyer" ? "escalated by merchant" : "escalated by buyer") : await sharedDispute(w);
      return { ...post(`/api/disputes/${disputeId}/answer`, { answer: "matrix" }), ...guestToken(w, cell) };
    },
    probe: "SELECT count(*)::text FROM disputes WHERE answer IS NOT NULL",
  },
  "GET /api/admin/disputes": { build: () => get("/api/admin/disputes") },
  "GET /api/shops/{shopId}/disputes": { build: (w) => get(`/api/shops/${w.shopA.shopId}/disputes`) },
  "GET /api/shops/{shopId}/reputation": { build: (w) => get(`/api/shops/${shopA(w)}/reputation`) },
  "GET /api/admin/after-sales-windows": { build: () => get("/api/admin/after-sales-windows") },
  "PUT /api/admin/after-sales-windows/{category}": {
    // The admin sets game_card's window to its default (3 days), so the other suites' holds are unchanged.
    build: () => ({ method: "PUT", path: "/api/admin/after-sales-windows/game_card", body: { windowSeconds: 259200 } }),
    probe: "SELECT count(*)::text FROM audit_log WHERE action = 'disputes.after_sales_window_set'",
  },
  "POST /api/orders/{orderId}/reveal (guest order)": {
    build: (w, cell) => ({ ...post(`/api/orders/${w.guest.id}/reveal`), ...guestToken(w, cell) }),
    probe: "SELECT count(*)::text FROM entitlements WHERE state = 'redeemed'",
  },
  "GET /api/orders/{orderId}/keys/{keyId}/certificate": {
    build: (w, cell) => ({ ...get(`/api/orders/${w.orderA.id}/keys/${w.orderA.keyId}/certificate`), ...guestToken(w, cell) }),
  },
  "GET /api/orders/{orderId}/keys/{keyId}/certificate (guest order)": {
    build: (w, cell) => ({ ...get(`/api/orders/${w.guest.id}/keys/${w.guest.keyId}/certificate`), ...guestToken(w, cell) }),
  },
  "POST /api/orders/{orderId}/access/revoke": {
    build: (w, cell) => ({ ...post(`/api/orders/${w.orderA.id}/access/revoke`), ...guestToken(w, cell) }),
    probe: "SELECT sum(access_generation)::text FROM orders",
  },
  "POST /api/orders/{orderId}/access/revoke (guest order)": {
    // The guest's revocation ends the token the other rows use: it revokes a fresh guest order's.
    build: async (w, cell) => {
      if (!cell.allowed) return post(`/api/orders/${w.guest.id}/access/revoke`);
      const order = await w.fresh.guestOrder();
      return { ...post(`/api/orders/${order.id}/access/revoke`), headers: { "x-order-token": order.token } };
    },
    probe: "SELECT sum(access_generation)::text FROM orders",
  },
  "POST /api/orders/{orderId}/erasure (guest order)": {
    // The erasure revokes the order's tokens and its data key: a fresh guest order's, as for the revocation.
    build: async (w, cell) => {
      if (!cell.allowed) return post(`/api/orders/${w.guest.id}/erasure`, { confirm: "erase my data" });
      const order = await w.fresh.guestOrder();
      return { ...post(`/api/orders/${order.id}/erasure`, { confirm: "erase my data" }), headers: { "x-order-token": order.token } };
    },
    probe: "SELECT count(*)::text FROM orders WHERE contact = 'erased'",
  },
  "GET /api/me/orders": { build: () => get("/api/me/orders") },

  "GET /api/payments/epay/notify/{shopId}": {
    build: (w) => epayNotification("GET", `/api/payments/epay/notify/${shopA(w)}`, signedNotification(w.shopA.sandbox, w.unpaidOrder, "T-MATRIX-NOTIFY")),
  },
  "POST /api/payments/epay/notify/{shopId}": {
    build: (w) => epayNotification("POST", `/api/payments/epay/notify/${shopA(w)}`, signedNotification(w.shopA.sandbox, w.unpaidOrder, "T-MATRIX-NOTIFY")),
  },
  "GET /api/resale/payments/epay/notify": {
    build: (w) =>
      epayNotification(
        "GET",
        "/api/resale/payments/epay/notify",
        signedNotification(w.platformMerchant, { id: w.purchaseToNotify.id, amountMinor: w.purchaseToNotify.priceMinor }, "T-MATRIX-RESALE"),
      ),
  },
  "POST /api/resale/payments/epay/notify": {
    build: (w) =>
      epayNotification(
        "POST",
        "/api/resale/payments/epay/notify",
        signedNotification(w.platformMerchant, { id: w.purchaseToNotify.id, amountMinor: w.purchaseToNotify.priceMinor }, "T-MATRIX-RESALE"),
      ),
  },
  "GET /api/ledger/topups/epay/notify": {
    build: (w) => epayNotification("GET", "/api/ledger/topups/epay/notify", signedNotification(w.platformMerchant, w.topup, "T-MATRIX-TOPUP")),
  },
  "POST /api/ledger/topups/epay/notify": {
    build: (w) => epayNotification("POST", "/api/ledger/topups/epay/notify", signedNotification(w.platformMerchant, w.topup, "T-MATRIX-TOPUP")),
  },

  "GET /api/me/entitlements": { build: () => get("/api/me/entitlements") },
  "GET /api/entitlements/{entitlementId}/certificate": { build: (w) => get(`/api/entitlements/${w.sealedA.entitlementId}/certificate`) },
  "POST /api/entitlements/{entitlementId}/reveal": {
    build: (w) => post(`/api/entitlements/${w.sealedA.entitlementId}/reveal`),
    probe: "SELECT count(*)::text FROM entitlements WHERE state = 'redeemed'",
  },
  "POST /api/entitlements/{entitlementId}/revoke": {
    build: async (w, cell) =>
      post(
        `/api/entitlements/${cell.allowed ? (await w.fresh.sealedEntitlement(w.people.otherBuyer)).entitlementId : w.sealedForListing.entitlementId}/revoke`,
        {
          reason: "matrix: refund agreed",
        },
      ),
    probe: "SELECT count(*)::text FROM entitlements WHERE state = 'revoked'",
  },
  "GET /api/entitlements/{entitlementId}/timeline": { build: (w) => get(`/api/entitlements/${w.sealedA.entitlementId}/timeline`) },
  "GET /api/resale/listings": { build: (w) => get(`/api/resale/listings?productId=${w.products.sealed}`) },
  "POST /api/resale/listings": {
    build: (w) => post("/api/resale/listings", { entitlementId: w.sealedForListing.entitlementId, priceMinor: "1200", currency: "CNY" }),
    probe: count("resale_listings"),
  },
  "POST /api/resale/listings/{listingId}/cancel": {
    build: (w) => post(`/api/resale/listings/${w.listedByBuyer}/cancel`),
    probe: "SELECT count(*)::text FROM resale_listings WHERE state = 'active'",
  },
  "POST /api/resale/listings/{listingId}/purchases": {
    build: async (w) => post(`/api/resale/listings/${await w.fresh.listing(w.seller)}/purchases`),
    probe: count("resale_purchases"),
  },
  "GET /api/resale/purchases/{purchaseId}": { build: (w) => get(`/api/resale/purchases/${w.purchaseByBuyer.id}`) },

  "GET /api/rentals/listings": { build: (w) => get(`/api/rentals/listings?productId=${w.products.sealed}`) },
  "POST /api/rentals/listings": {
    build: async (w, cell) =>
      post("/api/rentals/listings", {
        entitlementId: cell.allowed ? (await w.fresh.sealedEntitlement(w.people.buyer)).entitlementId : (await rentalFixtures(w)).offeredByBuyer.entitlementId,
        ...rentalTerms,
      }),
    probe: count("rental_listings"),
  },
  "POST /api/rentals/listings/{listingId}/cancel": {
    build: async (w, cell) =>
      post(`/api/rentals/listings/${cell.allowed ? await rentalOffer(w, w.people.buyer) : (await rentalFixtures(w)).offeredByBuyer.id}/cancel`),
    probe: "SELECT count(*)::text FROM rental_listings WHERE state = 'active'",
  },
  "POST /api/rentals/listings/{listingId}/rentals": {
    build: async (w) => post(`/api/rentals/listings/${await rentalOffer(w, w.seller)}/rentals`, { days: 1 }),
    probe: count("rentals"),
  },
  "GET /api/rentals/{rentalId}": { build: async (w) => get(`/api/rentals/${(await rentalFixtures(w)).rentedByBuyer.id}`) },
  "GET /api/rentals/payments/epay/notify": {
    build: async (w) =>
      epayNotification(
        "GET",
        "/api/rentals/payments/epay/notify",
        signedNotification(w.platformMerchant, (await rentalFixtures(w)).toNotify, "T-MATRIX-RENTAL"),
      ),
  },
  "POST /api/rentals/payments/epay/notify": {
    build: async (w) =>
      epayNotification(
        "POST",
        "/api/rentals/payments/epay/notify",
        signedNotification(w.platformMerchant, (await rentalFixtures(w)).toNotify, "T-MATRIX-RENTAL"),
      ),
  },
  "POST /api/entitlements/{entitlementId}/use": { build: async (w) => post(`/api/entitlements/${(await rentalFixtures(w)).rentedByBuyer.entitlementId}/use`) },

  "POST /api/wallets/siwe/nonce": { build: () => post("/api/wallets/siwe/nonce"), probe: count("siwe_nonces") },
  "POST /api/wallets/link": {
    build: async (w, cell) =>
      // A guest sends a message signed for buyer A's nonce: only the missing session refuses it.
      post(
        "/api/wallets/link",
        await w.fresh.siweLink(w.people[cell.role === "guest" ? "buyer" : cell.role].client, privateKeyToAccount(generatePrivateKey())),
      ),
    probe: count("wallet_links"),
  },
  "GET /api/me/wallets": { build: () => get("/api/me/wallets") },
  "POST /api/wallets/withdrawals": {
    // Each role withdraws to a wallet linked to its own account, so only the entitlement decides.
    build: (w, cell) =>
      post("/api/wallets/withdrawals", {
        entitlementId: w.sealedForWithdrawal.entitlementId,
        wallet: w.wallets[cell.role === "guest" ? "buyer" : cell.role].address,
      }),
    probe: count("wallet_movements"),
  },
  "POST /api/wallets/deposits": { build: (w) => post("/api/wallets/deposits", { transactionHash: w.depositTx }), probe: count("wallet_movements") },
  "GET /api/wallets/reveal/typed-data": { build: () => get("/api/wallets/reveal/typed-data") },
  "POST /api/wallets/reveal": {
    // The holder signs each request with a fresh nonce (single-use per signer); once revealed,
    // the token stays revealable to its holder, so every cell asks the same valid question.
    build: async (w) => {
      const typed = (await w.platform.http.get("/api/wallets/reveal/typed-data")).body;
      const message = {
        tokenId: w.walletToken.tokenId,
        nonce: BigInt(`0x${randomBytes(16).toString("hex")}`),
        deadline: BigInt(Math.floor(Date.now() / 1000) + 120),
      };
      const signature = await w.walletToken.holder.signTypedData({ domain: typed.domain, types: typed.types, primaryType: "Reveal", message });
      const { address } = w.walletToken.holder;
      return post("/api/wallets/reveal", {
        holder: address,
        tokenId: String(message.tokenId),
        nonce: String(message.nonce),
        deadline: String(message.deadline),
        signature,
      });
    },
  },

  "POST /api/verify": { build: () => post("/api/verify", { key: "NOT-A-KEY-OF-THIS-PLATFORM" }) },
  "GET /api/config/public": { build: () => get("/api/config/public") },
  "GET /api/chain/oracle": { build: (w) => get(`/api/chain/oracle?tokenId=${w.sealedA.tokenId}`) },
  "GET /api/chain/tokens/{tokenId}/timeline": { build: (w) => get(`/api/chain/tokens/${w.sealedA.tokenId}/timeline`) },

  "GET /api/ledger/shops/{shopId}/balance": { build: (w) => get(`/api/ledger/shops/${shopA(w)}/balance`) },
  "GET /api/ledger/shops/{shopId}/statement": { build: (w) => get(`/api/ledger/shops/${shopA(w)}/statement?currency=CNY`) },
  "POST /api/ledger/shops/{shopId}/payouts": {
    build: (w) => post(`/api/ledger/shops/${shopA(w)}/payouts`, { amountMinor: "100", currency: "CNY" }),
    probe: count("ledger_holds"),
  },
  "POST /api/ledger/shops/{shopId}/topups": {
    build: (w) => post(`/api/ledger/shops/${shopA(w)}/topups`, { amountMinor: "300", currency: "CNY" }),
    probe: count("shop_topups"),
  },
  "GET /api/ledger/topups/{topupId}": { build: (w) => get(`/api/ledger/topups/${w.topup.id}`) },
  "POST /api/ledger/payouts/{payoutId}/approve": {
    build: async (w) => post(`/api/ledger/payouts/${await w.fresh.payout()}/approve`),
    probe: "SELECT count(*)::text FROM ledger_holds WHERE state <> 'pending'",
  },
  "POST /api/ledger/payouts/{payoutId}/reject": {
    build: async (w) => post(`/api/ledger/payouts/${await w.fresh.payout()}/reject`),
    probe: "SELECT count(*)::text FROM ledger_holds WHERE state <> 'pending'",
  },

  "GET /api/metrics": { build: () => get("/api/metrics") },
  "GET /api/admin/queues": { build: () => get("/api/admin/queues") },

  "GET /api/ledger/journal": { build: () => get("/api/ledger/journal") },
  "GET /api/ledger/trial-balance": { build: () => get("/api/ledger/trial-balance") },
  "GET /api/ledger/accounts/{accountId}/history": { build: (w) => get(`/api/ledger/accounts/${w.payableAccountId}/history`) },
  "GET /api/ledger/reconciliation/orders": { build: (w) => get(`/api/ledger/reconciliation/orders?orderIds=${w.orderA.id}`) },
  "GET /api/ledger/reconciliation/chain-payments": { build: () => get("/api/ledger/reconciliation/chain-payments") },
  "GET /api/ledger/anchors": { build: () => get("/api/ledger/anchors") },
  "GET /api/ledger/proofs/inclusion/{transactionId}": { build: (w) => get(`/api/ledger/proofs/inclusion/${w.anchoredTransactionId}`) },
  "GET /api/ledger/proofs/consistency": { build: () => get("/api/ledger/proofs/consistency?first=1&second=2") },

  "POST /api/api-keys": { build: () => post("/api/api-keys", { name: "matrix key", scopes: ["orders:read"] }), probe: count("api_keys") },
  "GET /api/api-keys": { build: () => get("/api/api-keys") },
  "POST /api/api-keys/{keyId}/revoke": {
    // Merchant A's keys: a fresh one for the allowed cell, one shared by the refusals.
    build: async (w, cell) => post(`/api/api-keys/${cell.allowed ? await merchantKey(w) : await sharedMerchantKey(w)}/revoke`),
    probe: "SELECT count(*)::text FROM api_keys WHERE revoked_at IS NOT NULL",
  },

  "GET /api/audit/log": { build: () => get("/api/audit/log") },
  "GET /api/audit/reconciliation": { build: () => get("/api/audit/reconciliation") },
  "GET /api/audit/chain/batches": { build: () => get("/api/audit/chain/batches") },
  "GET /api/audit/chain/issuances": { build: () => get("/api/audit/chain/issuances") },
  "GET /api/audit/chain/payments": { build: () => get("/api/audit/chain/payments") },
  "GET /api/audit/chain/redemptions": { build: () => get("/api/audit/chain/redemptions") },
  "GET /api/audit/chain/transfers": { build: () => get("/api/audit/chain/transfers") },

  // Support tickets (docs/support.md)
  ...ticketRequests,
  ...saasRequests,
  ...currencyRequests,
  ...receiptRequests,
  ...crossdockRequests,
  ...complianceRequests,
  ...subscriptionRequests,
};
