// Self-service merchants (docs/saas.md): email confirmation, the shop's profile, logo and custom
// domain, plans and the platform invoice, KYC submissions and their review. Thin: validate, call
// a service (api/services/saas), answer.
import express, { Router, type Request, type Response } from "express";
import { z } from "zod";
import { AppError } from "../../../core/errors.ts";
import type { AppContext } from "../../context.ts";
import { auditedChange } from "../../services/audit.ts";
import { createMailer } from "../../services/mail/mailer.ts";
import { sendEmailConfirmationMail } from "../../services/mail/emailConfirmationMail.ts";
import { confirmEmail, createEmailConfirmation } from "../../services/saas/emailConfirmation.ts";
import {
  addKycDocument,
  assertKycReviewer,
  decideKyc,
  grantKycReviewer,
  listKycQueue,
  listShopKyc,
  readKycDocument,
  submitKyc,
  viewKycSubmission,
} from "../../services/saas/kyc.ts";
import { platformInvoice } from "../../services/saas/platformInvoice.ts";
import { changeShopPlan, createPlan, listPlans, lockShopPlan, ownerLiveApiKeys, shopUsage, updatePlan } from "../../services/saas/plans.ts";
import {
  claimShopDomain,
  domainResolver,
  getShopProfile,
  readShopLogo,
  removeShopDomain,
  removeShopLogo,
  setShopLogo,
  shopSlugForHost,
  updateShopProfile,
  verifyShopDomain,
} from "../../services/saas/shopProfile.ts";
import { sniffDocument } from "../../services/saas/sniffDocument.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { cursorParam, encodeCursor, idSortKey } from "../cursor.ts";
import { textBody } from "../responses/common.ts";
import {
  emailConfirmationSentSchema,
  emailConfirmedSchema,
  kycListSchema,
  kycReviewSchema,
  kycSubmissionSchema,
  planChangedSchema,
  planListSchema,
  planSchema,
  platformInvoiceSchema,
  shopProfileSchema,
  shopUsageSchema,
  storefrontHostSchema,
} from "../responses/saas.ts";
import { defineRoute } from "../route.ts";
import { displayName, idString, multilineText, singleLineText } from "../schemas.ts";
import { noContent } from "../responses/common.ts";

export const saasMountPath = "/api";

const planCode = z.string().regex(/^[a-z][a-z0-9_-]{1,31}$/, "must be 2 to 32 lower-case letters, digits, - or _, starting with a letter");
/** A plan's fee and limits, as an admin sets them (the database's CHECKs hold the same bounds). */
const planFields = z.strictObject({
  name: displayName({ max: 40 }),
  feeBps: z.number().int().min(0).max(10_000).nullable(),
  productsMax: z.number().int().min(0).max(1_000_000),
  keysMax: z.number().int().min(0).max(1_000_000_000),
  apiKeysMax: z.number().int().min(0).max(10_000),
  webhooksMax: z.number().int().min(0).max(10_000),
  substoresMax: z.number().int().min(0).max(1_000_000),
});

const logoBytesMax = 256 * 1024;
const documentBytesMax = 5 * 1024 * 1024;
const documentsPerSubmissionMax = 10;
const uploadTypes = ["application/octet-stream", "image/png", "image/jpeg", "application/pdf"];

const hostName = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a host name such as shop.example.com");
const colour = z.string().regex(/^#[0-9a-f]{6}$/, "must be a colour like #1a2b3c (lower-case hex)");
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month as YYYY-MM");
const shortText = (max: number) => singleLineText({ min: 1, max });

function rawUpload(router: Router, path: string, limitBytes: number): void {
  router.put(path, express.raw({ type: () => true, limit: limitBytes }));
  router.post(path, express.raw({ type: () => true, limit: limitBytes }));
  router.use(path, (error: unknown, _req: Request, _res: Response, next: (error?: unknown) => void) => {
    const tooLarge = (error as { type?: string })?.type === "entity.too.large";
    next(tooLarge ? new AppError("payload_too_large", `The file is at most ${limitBytes} bytes.`, { details: { limitBytes } }) : error);
  });
}

export function saasRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const saas = ctx.config.merchants.saas;
  const mailer = createMailer(ctx.config.mail);
  const resolver = domainResolver(saas.dnsServers);
  const shopParams = z.strictObject({ shopId: idString });

  // --- Email confirmation ----------------------------------------------------------------------

  defineRoute(
    router,
    saasMountPath,
    {
      method: "post",
      path: "/account/email-confirmation",
      summary: "Mail a link that confirms the account's email (in its language); a merchant confirms before opening a shop",
      tags: ["accounts"],
      auth: "account",
      status: 202,
      response: emailConfirmationSentSchema,
    },
    async ({ account }) => {
      const issued = await createEmailConfirmation(db, account!.id, saas.emailConfirmationTtlSeconds);
      if (!issued) return { sent: false };
      if (!mailer) ctx.logger.warn({ event: "email_confirmation.no_mailer" }, "An email confirmation was asked for but SMTP_URL is not set: no mail sent.");
      else {
        // The link comes from PUBLIC_URL, never from the request (docs/decisions.md); the token rides in the fragment.
        const confirmUrl = `${ctx.config.http.publicUrl}/confirm-email#token=${issued.token}`;
        const ttlHours = Math.round(saas.emailConfirmationTtlSeconds / 3600);
        sendEmailConfirmationMail(mailer, { to: issued.email, locale: issued.locale, confirmUrl, ttlHours }).catch((error: unknown) =>
          ctx.logger.warn(
            { event: "email_confirmation.mail_failed", err: error instanceof Error ? error.message : String(error) },
            "The confirmation mail was not sent.",
          ),
        );
      }
      return { sent: true };
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "post",
      path: "/auth/confirm-email",
      summary: "Confirm an email with the mailed token (single-use, expiring: 410 confirmation_invalid)",
      tags: ["accounts"],
      auth: "public",
      response: emailConfirmedSchema,
      body: z.strictObject({ token: z.string().min(20).max(100) }),
    },
    async ({ body }) => confirmEmail(db, body.token),
  );

  // --- Shop profile, logo, custom domain -------------------------------------------------------

  defineRoute(
    router,
    saasMountPath,
    {
      method: "get",
      path: "/shops/:shopId/profile",
      summary: "The shop's profile, plan, level and domain claim (its merchant)",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: shopProfileSchema,
      params: shopParams,
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return getShopProfile(db, params.shopId);
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "put",
      path: "/shops/:shopId/profile",
      summary: "Set the shop's colour, descriptions (zh-CN, en) and support contact",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: shopProfileSchema,
      params: shopParams,
      body: z.strictObject({
        colour: colour.nullable().optional(),
        descriptionZh: multilineText({ max: 2000 }).optional(),
        descriptionEn: multilineText({ max: 2000 }).optional(),
        supportContact: shortText(200).nullable().optional(),
      }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return updateShopProfile(db, params.shopId, body);
    },
  );

  rawUpload(router, "/shops/:shopId/logo", logoBytesMax);
  defineRoute(
    router,
    saasMountPath,
    {
      method: "put",
      path: "/shops/:shopId/logo",
      summary: "Upload the shop's logo: the body is a PNG or JPEG (checked by content, at most 256 KiB)",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: shopProfileSchema,
      rawBody: true,
      rawBodyTypes: uploadTypes,
      params: shopParams,
      body: z.instanceof(Buffer, { error: "send the image's bytes as the body (image/png, image/jpeg or application/octet-stream)" }),
    },
    async ({ params, body, account, req }) => {
      await assertShopManager(db, params.shopId, account!);
      const contentType = sniffDocument(body, req.get("content-type"), ["image/png", "image/jpeg"]);
      return setShopLogo(db, params.shopId, { contentType, bytes: body });
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "delete",
      path: "/shops/:shopId/logo",
      summary: "Remove the shop's logo (the storefront shows none)",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: shopProfileSchema,
      params: shopParams,
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return removeShopLogo(db, params.shopId);
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "get",
      path: "/shops/:shopId/logo",
      summary: "The shop's logo (public; its type was checked by content when uploaded)",
      tags: ["shops"],
      auth: "public",
      response: textBody,
      responseType: "application/octet-stream",
      params: shopParams,
    },
    async ({ params, res }) => {
      const logo = await readShopLogo(db, params.shopId);
      res.writeHead(200, {
        "content-type": logo.contentType,
        "content-length": String(logo.bytes.length),
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "cache-control": "public, max-age=300",
      });
      res.end(logo.bytes);
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "put",
      path: "/shops/:shopId/domain",
      summary: "Claim a custom host name for the storefront (409 domain_taken); answers the DNS TXT record that proves it",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: shopProfileSchema,
      params: shopParams,
      body: z.strictObject({ domain: hostName }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return auditedChange(
        db,
        (tx) => claimShopDomain(tx, params.shopId, body.domain),
        () => ({ accountId: account!.id, action: "shop.domain_claimed", subject: `shop:${params.shopId}`, details: { domain: body.domain } }),
      );
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "delete",
      path: "/shops/:shopId/domain",
      summary: "Give up the shop's custom domain",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: shopProfileSchema,
      params: shopParams,
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return removeShopDomain(db, params.shopId);
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "post",
      path: "/shops/:shopId/domain/verify",
      summary: "Check the domain's DNS TXT record (_keyledger.<domain>) and mark it proved (422 domain_unproved)",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: shopProfileSchema,
      params: shopParams,
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return verifyShopDomain(db, resolver, params.shopId);
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "get",
      path: "/storefront/host",
      summary: "The shop whose proved custom domain is this request's host name (null: the platform's own host)",
      tags: ["shops"],
      auth: "public",
      response: storefrontHostSchema,
    },
    async ({ req }) => ({ slug: (await shopSlugForHost(db, req.hostname ?? "")) ?? null }),
  );

  // --- Plans, usage, platform invoice ------------------------------------------------------------

  defineRoute(
    router,
    saasMountPath,
    { method: "get", path: "/plans", summary: "The plans: fee per sale and limits", tags: ["shops"], auth: "public", response: planListSchema },
    async () => ({ items: await listPlans(db) }),
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "post",
      path: "/admin/plans",
      summary: "Add a plan (admin, audited); a code already used: 409 conflict",
      tags: ["admin"],
      auth: ["admin"],
      status: 201,
      response: planSchema,
      body: planFields.extend({ code: planCode }),
    },
    async ({ body, account }) =>
      auditedChange(
        db,
        (tx) => createPlan(tx, body),
        (plan) => ({ accountId: account!.id, action: "plan.created", subject: `plan:${plan.code}`, details: { plan } }),
      ),
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "put",
      path: "/admin/plans/:code",
      summary: "Edit a plan (admin, audited): its fee applies to orders created from now on",
      tags: ["admin"],
      auth: ["admin"],
      response: planSchema,
      params: z.strictObject({ code: planCode }),
      body: planFields,
    },
    async ({ params, body, account }) => {
      const { after } = await auditedChange(
        db,
        (tx) => updatePlan(tx, params.code, body),
        (result) => ({
          accountId: account!.id,
          action: "plan.updated",
          subject: `plan:${params.code}`,
          details: { before: result.before, after: result.after },
        }),
      );
      return after;
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "put",
      path: "/admin/shops/:shopId/plan",
      summary: "Move a shop to another plan (admin, audited); a plan below what the shop holds: 409 plan_downgrade_below_usage",
      tags: ["admin"],
      auth: ["admin"],
      response: planChangedSchema,
      params: shopParams,
      body: z.strictObject({ plan: z.string().regex(/^[a-z][a-z0-9_-]{1,31}$/) }),
    },
    async ({ params, body, account }) =>
      auditedChange(
        db,
        (tx) => changeShopPlan(tx, params.shopId, body.plan),
        (result) => ({ accountId: account!.id, action: "shop.plan_changed", subject: `shop:${params.shopId}`, details: result }),
      ),
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "get",
      path: "/shops/:shopId/usage",
      summary: "The shop's plan, verification level and what it holds",
      tags: ["shops"],
      auth: ["merchant", "admin"],
      response: shopUsageSchema,
      params: shopParams,
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const { verificationLevel, ...plan } = await lockShopPlan(db, params.shopId);
      return { plan, verificationLevel, usage: { ...(await shopUsage(db, params.shopId)), apiKeys: await ownerLiveApiKeys(db, params.shopId) } };
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "get",
      path: "/shops/:shopId/platform-invoices/:month",
      summary: "The platform's invoice of a month (UTC) for the shop, from the ledger: fees of its sales, less those refunded",
      tags: ["ledger"],
      auth: ["merchant", "admin", "auditor"],
      response: platformInvoiceSchema,
      params: z.strictObject({ shopId: idString, month }),
    },
    async ({ params, account }) => {
      if (!account!.roles.includes("auditor")) await assertShopManager(db, params.shopId, account!);
      return platformInvoice(db, params.shopId, params.month);
    },
  );

  // --- KYC -----------------------------------------------------------------------------------------

  defineRoute(
    router,
    saasMountPath,
    {
      method: "post",
      path: "/shops/:shopId/kyc",
      summary: "Submit identity and business details for verification (stored encrypted; one open submission per shop: 409 kyc_already_open)",
      tags: ["kyc"],
      auth: ["merchant", "admin"],
      status: 201,
      response: kycSubmissionSchema,
      params: shopParams,
      body: z.strictObject({
        levelRequested: z.enum(["verified", "business"]),
        details: z.strictObject({
          legalName: shortText(200),
          idNumber: shortText(64),
          country: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166 country code such as CN"),
          businessName: shortText(200).optional(),
          businessRegistration: shortText(64).optional(),
          address: shortText(400),
        }),
      }),
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return submitKyc(db, ctx.keyRing, { shopId: params.shopId, accountId: account!.id, levelRequested: body.levelRequested, details: body.details });
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "get",
      path: "/shops/:shopId/kyc",
      summary: "The shop's submissions with their status and the reviewers' reasons",
      tags: ["kyc"],
      auth: ["merchant", "admin"],
      response: kycListSchema,
      params: shopParams,
    },
    async ({ params, account }) => {
      await assertShopManager(db, params.shopId, account!);
      return { items: await listShopKyc(db, params.shopId), nextCursor: null };
    },
  );

  const documentsPath = "/shops/:shopId/kyc/:submissionId/documents";
  rawUpload(router, documentsPath, documentBytesMax);
  defineRoute(
    router,
    saasMountPath,
    {
      method: "post",
      path: documentsPath,
      summary: "Add a document to an open submission: the body is a PNG, JPEG or PDF (checked by content: 415 document_type_refused), stored encrypted",
      tags: ["kyc"],
      auth: ["merchant", "admin"],
      status: 201,
      response: kycSubmissionSchema,
      rawBody: true,
      rawBodyTypes: uploadTypes,
      params: z.strictObject({ shopId: idString, submissionId: idString }),
      query: z.strictObject({ kind: z.enum(["identity", "business_licence", "address_proof", "other"]) }),
      body: z.instanceof(Buffer, { error: "send the file's bytes as the body (image/png, image/jpeg, application/pdf or application/octet-stream)" }),
    },
    async ({ params, query, body, account, req }) => {
      await assertShopManager(db, params.shopId, account!);
      const contentType = sniffDocument(body, req.get("content-type"), ["image/png", "image/jpeg", "application/pdf"]);
      return addKycDocument(db, ctx.keyRing, {
        shopId: params.shopId,
        submissionId: params.submissionId,
        accountId: account!.id,
        kind: query.kind,
        contentType,
        bytes: body,
        perSubmissionMax: documentsPerSubmissionMax,
      });
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "get",
      path: "/admin/kyc",
      summary: "The KYC review queue (admins with the reviewer right), oldest first",
      tags: ["admin"],
      auth: ["admin"],
      response: kycListSchema,
      query: z.strictObject({
        status: z.enum(["pending", "approved", "rejected", "more_requested"]).default("pending"),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ query, account }) => {
      await assertKycReviewer(db, account!.id);
      const items = await listKycQueue(db, { status: query.status, afterId: idSortKey(query.cursor), limit: query.limit });
      return { items, nextCursor: encodeCursor(items.length === query.limit ? items.at(-1)!.id : null) };
    },
  );

  const submissionParams = z.strictObject({ submissionId: idString });
  defineRoute(
    router,
    saasMountPath,
    {
      method: "get",
      path: "/admin/kyc/:submissionId",
      summary: "A submission with its decrypted details (reviewers only; every view is audited)",
      tags: ["admin"],
      auth: ["admin"],
      response: kycReviewSchema,
      params: submissionParams,
    },
    async ({ params, account }) => {
      await assertKycReviewer(db, account!.id);
      return viewKycSubmission(db, ctx.keyRing, params.submissionId, account!.id);
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "get",
      path: "/admin/kyc/:submissionId/documents/:documentId",
      summary: "A submission's document, decrypted (reviewers only; audited; always a download, never shown inline)",
      tags: ["admin"],
      auth: ["admin"],
      response: textBody,
      responseType: "application/octet-stream",
      params: z.strictObject({ submissionId: idString, documentId: idString }),
    },
    async ({ params, account, res }) => {
      await assertKycReviewer(db, account!.id);
      const file = await readKycDocument(db, ctx.keyRing, { submissionId: params.submissionId, documentId: params.documentId, reviewerId: account!.id });
      res.writeHead(200, {
        "content-type": file.contentType,
        "content-length": String(file.bytes.length),
        "content-disposition": `attachment; filename="kyc-${params.submissionId}-${params.documentId}"`,
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "cache-control": "no-store",
      });
      res.end(file.bytes);
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "post",
      path: "/admin/kyc/:submissionId/decision",
      summary: "Approve, reject or ask for more (reviewers only, audited, with a reason); approval raises the shop's verification level",
      tags: ["admin"],
      auth: ["admin"],
      response: kycSubmissionSchema,
      params: submissionParams,
      body: z.strictObject({
        decision: z.enum(["approve", "reject", "request_more"]),
        reason: multilineText({ max: 2000 }).pipe(z.string().min(1, "give a reason")),
      }),
    },
    async ({ params, body, account }) => {
      await assertKycReviewer(db, account!.id);
      return auditedChange(
        db,
        (tx) => decideKyc(tx, { submissionId: params.submissionId, reviewerId: account!.id, decision: body.decision, reason: body.reason }),
        (result) => ({
          accountId: account!.id,
          action: `kyc.${body.decision}`,
          subject: `kyc:${params.submissionId}`,
          details: { shopId: result.shopId, reason: body.reason },
        }),
      );
    },
  );

  defineRoute(
    router,
    saasMountPath,
    {
      method: "put",
      path: "/admin/kyc-reviewers/:accountId",
      summary: "Give an admin the KYC reviewer right (admin, audited)",
      tags: ["admin"],
      auth: ["admin"],
      response: noContent,
      params: z.strictObject({ accountId: idString }),
    },
    async ({ params, account }) => {
      await auditedChange(
        db,
        (tx) => grantKycReviewer(tx, params.accountId, account!.id),
        () => ({ accountId: account!.id, action: "kyc.reviewer_granted", subject: `account:${params.accountId}` }),
      );
      return undefined;
    },
  );

  return router;
}
