// The authorisation matrix's requests for the self-service merchant routes (docs/saas.md). KYC
// fixtures are made on first use, once per world: shop B's pending submission with one document
// (the reviewers' rows), and the admin is given the reviewer right.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { sql } from "../../core/store/database.ts";
import { hashToken } from "../../api/services/accounts/sessions.ts";
import { auditedChanges } from "./probes.ts";
import type { Cell, Call, RowRequests } from "./requests.ts";
import type { World } from "./world.ts";

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("matrix-logo")]);
const pdf = "%PDF-1.4\n%%EOF\n";
const details = { legalName: "Matrix Person", idNumber: "M-1", country: "CN", address: "Matrix street 1" };
const shopA = (w: World) => w.shopA.shopId;
const shopB = (w: World) => w.shopB.shopId;
const month = () => new Date().toISOString().slice(0, 7);

type KycFixtures = { submissionId: string; documentId: string };
const fixtures = new WeakMap<World, Promise<KycFixtures>>();

/** Closes the shop's open submissions (as a rejection would), so the next one may be made. */
async function closeOpenSubmissions(w: World, shopId: string): Promise<void> {
  await w.platform.database.db.execute(
    sql`UPDATE kyc_submissions SET status = 'rejected', decided_at = now() WHERE shop_id = ${BigInt(shopId)} AND status IN ('pending', 'more_requested')`,
  );
}

async function pendingSubmission(w: World, shopId: string, client = shopId === shopA(w) ? w.shopA.merchant : w.shopB.merchant): Promise<KycFixtures> {
  await closeOpenSubmissions(w, shopId);
  const submitted = await client.post(`/api/shops/${shopId}/kyc`, { levelRequested: "verified", details });
  expect(submitted.status, submitted.text).to.equal(201);
  const document = await client.request("POST", `/api/shops/${shopId}/kyc/${submitted.body.id}/documents?kind=identity`, pdf, {
    "content-type": "application/pdf",
  });
  expect(document.status, document.text).to.equal(201);
  return { submissionId: submitted.body.id, documentId: document.body.documents[0].id };
}

function kycOf(w: World): Promise<KycFixtures> {
  let made = fixtures.get(w);
  if (!made) {
    made = (async () => {
      await w.platform.database.db.execute(
        sql`INSERT INTO kyc_reviewers (account_id, granted_by) VALUES (${w.people.admin.accountId}, ${w.people.admin.accountId}) ON CONFLICT DO NOTHING`,
      );
      const logo = await w.shopA.merchant.request("PUT", `/api/shops/${shopA(w)}/logo`, png, { "content-type": "image/png" });
      expect(logo.status, logo.text).to.equal(200);
      return pendingSubmission(w, shopB(w));
    })();
    fixtures.set(w, made);
  }
  return made;
}

const get = (path: string): Call => ({ method: "GET", path });
const withKyc = (build: (w: World, kyc: KycFixtures, cell: Cell) => Call | Promise<Call>) => async (w: World, cell: Cell) => build(w, await kycOf(w), cell);

export const saasRequests: Record<string, RowRequests> = {
  "POST /api/account/email-confirmation": { build: () => ({ method: "POST", path: "/api/account/email-confirmation" }) },
  "POST /api/auth/confirm-email": {
    build: async (w) => {
      const token = randomBytes(32).toString("base64url");
      await w.platform.database.db.execute(
        sql`INSERT INTO email_confirmations (token_hash, account_id, expires_at) VALUES (${hashToken(token)}, ${w.people.buyer.accountId}, now() + interval '1 hour')`,
      );
      return { method: "POST", path: "/api/auth/confirm-email", body: { token } };
    },
  },
  "GET /api/shops/{shopId}/profile": { build: (w) => get(`/api/shops/${shopA(w)}/profile`) },
  "PUT /api/shops/{shopId}/profile": {
    build: (w, cell) => ({
      method: "PUT",
      path: `/api/shops/${shopA(w)}/profile`,
      body: { supportContact: cell.allowed ? "matrix@example.com" : "refused@example.com" },
    }),
    probe: "SELECT count(*)::text FROM shops WHERE support_contact = 'refused@example.com'",
  },
  "PUT /api/shops/{shopId}/logo": {
    build: (w) => ({ method: "PUT", path: `/api/shops/${shopA(w)}/logo`, body: png, headers: { "content-type": "image/png" } }),
    probe: (w) => `SELECT md5(coalesce(logo, ''::bytea)) FROM shops WHERE id = ${BigInt(shopA(w))}`,
  },
  "DELETE /api/shops/{shopId}/logo": {
    build: async (w) => {
      await w.platform.database.db.execute(sql`UPDATE shops SET logo = ${png}, logo_type = 'image/png' WHERE id = ${BigInt(shopA(w))}`);
      return { method: "DELETE", path: `/api/shops/${shopA(w)}/logo` };
    },
    probe: "SELECT count(*)::text FROM shops WHERE logo IS NOT NULL",
  },
  // The logo is put back each time: the DELETE row may have run first.
  "GET /api/shops/{shopId}/logo": {
    build: withKyc(async (w) => {
      await w.platform.database.db.execute(sql`UPDATE shops SET logo = ${png}, logo_type = 'image/png' WHERE id = ${BigInt(shopA(w))}`);
      return get(`/api/shops/${shopA(w)}/logo`);
    }),
  },
  "PUT /api/shops/{shopId}/domain": {
    build: (w, cell) => ({
      method: "PUT",
      path: `/api/shops/${shopA(w)}/domain`,
      body: { domain: `${cell.allowed ? "mtx" : "refused"}-${randomBytes(4).toString("hex")}.example.com` },
    }),
    probe: "SELECT count(*)::text FROM shops WHERE custom_domain LIKE 'refused-%'",
  },
  "DELETE /api/shops/{shopId}/domain": {
    build: (w) => ({ method: "DELETE", path: `/api/shops/${shopA(w)}/domain` }),
    probe: "SELECT count(*)::text FROM shops WHERE custom_domain IS NOT NULL",
  },
  // No domain claimed: the allowed roles are told to claim one first (409 invalid_state).
  "POST /api/shops/{shopId}/domain/verify (no domain claimed)": {
    build: async (w) => {
      await w.platform.database.db.execute(sql`UPDATE shops SET custom_domain = NULL, domain_token = NULL WHERE id = ${BigInt(shopA(w))}`);
      return { method: "POST", path: `/api/shops/${shopA(w)}/domain/verify` };
    },
    probe: "SELECT count(*)::text FROM shops WHERE domain_verified_at IS NOT NULL",
  },
  "GET /api/storefront/host": { build: () => get("/api/storefront/host") },
  "GET /api/plans": { build: () => get("/api/plans") },
  // The seeded values: nothing the other rows depend on changes.
  "PUT /api/admin/plans/{code}": {
    build: () => ({
      method: "PUT",
      path: "/api/admin/plans/pro",
      body: { name: "Pro", feeBps: 200, productsMax: 500, keysMax: 1_000_000, apiKeysMax: 20, webhooksMax: 20, substoresMax: 200 },
    }),
    probe: auditedChanges,
  },
  // A new plan no shop is on: a code of its own per call, so the allowed cell is never a conflict.
  "POST /api/admin/plans": {
    build: () => ({
      method: "POST",
      path: "/api/admin/plans",
      body: {
        code: `matrix-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`,
        name: "Matrix",
        feeBps: 150,
        productsMax: 5,
        keysMax: 50,
        apiKeysMax: 1,
        webhooksMax: 1,
        substoresMax: 0,
      },
    }),
    probe: "SELECT count(*)::text FROM plans",
  },
  // An upgrade (a downgrade below the world's sub-stores would be refused): shop B's later orders pay the pro fee, which no row checks.
  "PUT /api/admin/shops/{shopId}/plan": {
    build: (w) => ({ method: "PUT", path: `/api/admin/shops/${shopB(w)}/plan`, body: { plan: "pro" } }),
    probe: auditedChanges,
  },
  "GET /api/shops/{shopId}/usage": { build: (w) => get(`/api/shops/${shopA(w)}/usage`) },
  "GET /api/shops/{shopId}/platform-invoices/{month}": { build: (w) => get(`/api/shops/${shopA(w)}/platform-invoices/${month()}`) },
  // The cells run at once: the admin's goes to shop B, so the two allowed ones do not race for shop A's one open submission.
  "POST /api/shops/{shopId}/kyc": {
    build: async (w, cell) => {
      const shopId = cell.role === "admin" ? shopB(w) : shopA(w);
      if (cell.allowed) await closeOpenSubmissions(w, shopId);
      return { method: "POST", path: `/api/shops/${shopId}/kyc`, body: { levelRequested: "verified", details } };
    },
    probe: "SELECT count(*)::text FROM kyc_submissions",
  },
  "GET /api/shops/{shopId}/kyc": { build: (w) => get(`/api/shops/${shopA(w)}/kyc`) },
  "POST /api/shops/{shopId}/kyc/{submissionId}/documents": {
    build: async (w, cell) => {
      const shopId = cell.role === "admin" ? shopB(w) : shopA(w);
      const { submissionId } = cell.allowed ? await pendingSubmission(w, shopId) : await kycOf(w);
      return {
        method: "POST",
        path: `/api/shops/${shopId}/kyc/${submissionId}/documents?kind=other`,
        body: pdf,
        headers: { "content-type": "application/pdf" },
      };
    },
    probe: "SELECT count(*)::text FROM kyc_documents WHERE kind = 'other'",
  },
  "GET /api/admin/kyc": { build: withKyc(() => get("/api/admin/kyc")) },
  "GET /api/admin/kyc/{submissionId}": { build: withKyc((_w, kyc) => get(`/api/admin/kyc/${kyc.submissionId}`)) },
  "GET /api/admin/kyc/{submissionId}/documents/{documentId}": {
    build: withKyc((_w, kyc) => get(`/api/admin/kyc/${kyc.submissionId}/documents/${kyc.documentId}`)),
  },
  "POST /api/admin/kyc/{submissionId}/decision": {
    build: async (w, cell) => {
      await kycOf(w);
      const { submissionId } = cell.allowed ? await pendingSubmission(w, shopB(w)) : await kycOf(w);
      return { method: "POST", path: `/api/admin/kyc/${submissionId}/decision`, body: { decision: "request_more", reason: "Matrix: a clearer scan, please." } };
    },
    probe: "SELECT count(*)::text FROM kyc_decisions",
  },
  "PUT /api/admin/kyc-reviewers/{accountId}": {
    build: (w) => ({ method: "PUT", path: `/api/admin/kyc-reviewers/${w.people.admin.accountId}` }),
    probe: "SELECT count(*)::text FROM kyc_reviewers",
  },
};
