// The ledger over HTTP: a merchant's balance, pending holds, statement and payout requests;
// an admin's payout approvals; an auditor's trial balance, account histories and
// reconciliation; and, for anyone, the anchors and the proofs that tie the books to the chain
// (they carry hashes only, never an entry's content). Thin: validate, call a service, respond.
import { randomUUID } from "node:crypto";
import express, { Router, type Request } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { rejectPayout, requestPayout } from "../../ledger/flows.ts";
import { approvePayoutAfterReview, payoutAlertRules, recordPayoutDestination, reviewPayout } from "../../services/compliance/aml.ts";
import { getFeePositions } from "../../ledger/merchantFees.ts";
import { exportJournal } from "../../ledger/journalExport.ts";
import { getConsistencyProof, getInclusionProof } from "../../ledger/proofs.ts";
import { reconcileChainPayments, reconcileOrderPayments, reconcileOrdersMax } from "../../ledger/reconciliation.ts";
import {
  getAccountHistory,
  getShopBalance,
  getShopStatement,
  getTrialBalance,
  listAnchors,
  listPendingHolds,
  statementPageSizeMax,
  type StatementPage,
} from "../../ledger/statements.ts";
import { auditedChange } from "../../services/audit.ts";
import { placeProceedsHolds } from "../../services/disputes/proceedsHolds.ts";
import { resaleEpayMerchant } from "../../services/resale/resalePayments.ts";
import { assertShopManager } from "../../services/shops/shops.ts";
import { createTopup, handleTopupNotify, loadTopup, topupView } from "../../services/shops/topups.ts";
import type { Drizzle } from "../../../core/store/database.ts";
import type { AuthenticatedAccount } from "../../services/accounts/sessions.ts";
import { assertPayoutAllowed } from "../../services/saas/verificationLimits.ts";
import { defineRoute } from "../route.ts";
import { currencyCode, idString, moneyMinor, payoutRequestBody } from "../schemas.ts";
import { cursorParam, encodeCursor, idSortKey } from "../cursor.ts";
import {
  anchorPageSchema,
  chainPaymentReconciliationSchema,
  consistencyProofSchema,
  inclusionProofSchema,
  journalExportSchema,
  orderReconciliationSchema,
  payoutDecidedSchema,
  payoutRequestedSchema,
  shopBalanceSchema,
  statementPageSchema,
  topupSchema,
  trialBalanceSchema,
} from "../responses/ledger.ts";
import { textBody } from "../responses/common.ts";
import { readDatabase } from "../../../core/store/replicaReads.ts";

export const ledgerMountPath = "/api";

const page = {
  limit: z.coerce.number().int().min(1).max(statementPageSizeMax).default(50),
  cursor: cursorParam.optional(),
};

/** A ledger page in the one pagination convention: the service's id cursor made opaque. */
function statementPage({ lines, nextCursor, ...account }: StatementPage) {
  return { ...account, items: lines, nextCursor: encodeCursor(nextCursor) };
}
const payoutId = z.string().regex(/^[A-Za-z0-9:_-]{1,100}$/, "must be 1-100 letters, digits, ':', '_' or '-'");
// 10^12 fen is ten billion yuan: beyond any prepaid fee balance.
const topupMinorMax = 10n ** 12n;
const topupId = z.string().regex(/^TU[0-9A-Z]{8,32}$/, "must be a top-up id such as TUMI2K3L4M5A1B2C3D4E5");
const epayParams = z.record(z.string().regex(/^[a-z_]{1,32}$/), z.string().max(512)).refine((value) => Object.keys(value).length <= 32, "too many parameters");

/** Auditors and admins read every shop's books; a merchant only their own shops'. */
export async function assertShopReader(db: Drizzle, shopId: bigint, account: AuthenticatedAccount): Promise<void> {
  if (account.roles.includes("auditor") || account.roles.includes("admin")) return;
  await assertShopManager(db, shopId, account);
}

export function ledgerRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const shopParams = z.strictObject({ shopId: idString });
  const apiBaseUrl = (req: Request) => ctx.config.http.publicUrl ?? `${req.protocol}://${req.get("host")}`;

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/shops/:shopId/balance",
      summary: "A shop's payable balance (platform-collected, can be paid out), pending holds, and fee position (merchant-collected: fees owed, prepaid)",
      tags: ["ledger"],
      auth: ["merchant", "auditor", "admin"],
      scope: "ledger:read",
      response: shopBalanceSchema,
      params: shopParams,
    },
    async ({ params, account }) => {
      await assertShopReader(db, params.shopId, account!);
      return {
        balances: await getShopBalance(db, { shopId: params.shopId }),
        pendingHolds: await listPendingHolds(db, { ownerType: "shop", ownerId: params.shopId }),
        fees: await getFeePositions(db, { shopId: params.shopId }),
      };
    },
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "post",
      path: "/ledger/shops/:shopId/topups",
      summary: "Start a top-up of the shop's prepaid platform balance (pays its fees on its own gateway), paid through the platform's EPay merchant",
      tags: ["ledger"],
      auth: ["merchant", "admin"],
      status: 201,
      response: topupSchema,
      params: shopParams,
      // Above zero, and far below the journal's per-posting limit (10^15), so a paid top-up always posts.
      body: z.strictObject({
        amountMinor: moneyMinor.refine((value) => value > 0n && value <= topupMinorMax, `must be from 1 to ${topupMinorMax} minor units`),
        currency: currencyCode,
      }),
    },
    async ({ params, body, account, req }) => {
      await assertShopManager(db, params.shopId, account!);
      const row = await auditedChange(
        db,
        (tx) => createTopup(tx, { shopId: params.shopId, amountMinor: body.amountMinor, currency: body.currency, accountId: account!.id }),
        (created) => ({
          accountId: account!.id,
          action: "ledger.topup_started",
          subject: `topup:${created.id}`,
          details: { amountMinor: body.amountMinor.toString(), currency: body.currency },
        }),
      );
      return topupView(row, { merchant: resaleEpayMerchant(ctx.config, apiBaseUrl(req)), apiBaseUrl: apiBaseUrl(req) });
    },
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/topups/:topupId",
      summary: "A top-up and its state",
      tags: ["ledger"],
      auth: ["merchant", "auditor", "admin"],
      response: topupSchema,
      params: z.strictObject({ topupId }),
    },
    async ({ params, account, req }) => {
      const row = await loadTopup(db, params.topupId);
      await assertShopReader(db, BigInt(row.shop_id), account!);
      return topupView(row, { merchant: resaleEpayMerchant(ctx.config, apiBaseUrl(req)), apiBaseUrl: apiBaseUrl(req) });
    },
  );

  router.use("/ledger/topups/epay/notify", express.urlencoded({ extended: false, limit: "16kb" }));
  for (const method of ["get", "post"] as const) {
    defineRoute(
      router,
      ledgerMountPath,
      {
        method,
        path: "/ledger/topups/epay/notify",
        summary: "EPay notification for prepaid top-ups (the platform's merchant; signed, MD5 rule); answers `success`",
        tags: ["ledger", "payments"],
        auth: "public",
        response: textBody.describe("Exactly `success`"),
      },
      async ({ req, res }) => {
        const parsed = epayParams.safeParse((method === "get" ? req.query : req.body) ?? {});
        if (!parsed.success) throw new AppError("validation_failed", "EPay parameters must be short strings.");
        await handleTopupNotify(db, { merchant: resaleEpayMerchant(ctx.config, apiBaseUrl(req)) }, parsed.data);
        res.type("text/plain").send("success");
      },
    );
  }

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/shops/:shopId/statement",
      summary: "A shop's statement (its payable account), newest first, keyset-paginated",
      tags: ["ledger"],
      auth: ["merchant", "auditor", "admin"],
      scope: "ledger:read",
      response: statementPageSchema,
      params: shopParams,
      query: z.strictObject({ currency: currencyCode, ...page }),
    },
    async ({ params, query, account }) => {
      await assertShopReader(db, params.shopId, account!);
      return statementPage(
        await getShopStatement(db, { shopId: params.shopId, currency: query.currency, cursor: idSortKey(query.cursor)?.toString(), limit: query.limit }),
      );
    },
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "post",
      path: "/ledger/shops/:shopId/payouts",
      summary: "Request a payout: the amount is held from the payable until an admin approves or rejects it, or it expires",
      tags: ["ledger"],
      auth: ["merchant", "admin"],
      status: 201,
      response: payoutRequestedSchema,
      params: shopParams,
      body: payoutRequestBody,
    },
    async ({ params, body, account }) => {
      await assertShopManager(db, params.shopId, account!);
      const id = `shop${params.shopId}-${body.requestId ?? randomUUID()}`;
      const expiresAt = new Date(Date.now() + ctx.config.ledger.payoutHoldSeconds * 1000);
      const payout = await auditedChange(
        db,
        async (tx) => {
          // Sales still inside their after-sales window are held first, under the payable's lock,
          // so the payout draws only released proceeds (api/services/disputes/proceedsHolds.ts).
          // The verification level's amount per payout and payouts a day (docs/saas.md), under the shop row's lock.
          if (ctx.config.merchants.saas.limitsEnforced) await assertPayoutAllowed(tx, params.shopId, body.currency, body.amountMinor);
          await placeProceedsHolds(tx, { shopId: params.shopId, reputation: ctx.config.disputes.reputation });
          const requested = await requestPayout(tx, { payoutId: id, shopId: params.shopId, amountMinor: body.amountMinor, currency: body.currency, expiresAt });
          if (!requested.created) return { ...requested, amlReview: await payoutAlertRules(tx, id) };
          if (body.wallet) await recordPayoutDestination(tx, { payoutId: id, shopId: params.shopId, wallet: body.wallet });
          // The AML payout rules, in this transaction: an alert commits with the payout, before any approval can see it.
          const amlReview = await reviewPayout(tx, ctx.config.compliance.aml, {
            payoutId: id,
            shopId: params.shopId,
            amountMinor: body.amountMinor,
            currency: body.currency,
            wallet: body.wallet,
          });
          return { ...requested, amlReview };
        },
        (result) =>
          result.created
            ? {
                accountId: account!.id,
                action: "ledger.payout_requested",
                subject: `payout:${id}`,
                details: { amountMinor: body.amountMinor.toString(), currency: body.currency },
              }
            : undefined,
      ).catch((error: unknown) => {
        if (!(error instanceof AppError)) throw error;
        // In the merchant's terms: what to ask for instead, without the ledger's accounts or ids.
        if (error.code === "insufficient_funds") {
          throw new AppError(
            "insufficient_funds",
            `The shop has less than ${body.amountMinor} ${body.currency} available for payout. Ask for at most the available amount (GET /ledger/shops/${params.shopId}/balance). Only sales paid through the platform (its gateway or on-chain payment) can be paid out; sales on your own EPay gateway were paid to you directly.`,
          );
        }
        if (error.code === "idempotency_conflict" && body.requestId) {
          throw new AppError(
            "idempotency_conflict",
            `requestId ${body.requestId} was already used for a payout of another amount or currency; repeat that request exactly, or use a new requestId.`,
          );
        }
        throw error;
      });
      return { payoutId: id, ...payout, expiresAt };
    },
  );

  for (const decision of ["approve", "reject"] as const) {
    defineRoute(
      router,
      ledgerMountPath,
      {
        method: "post",
        path: `/ledger/payouts/:payoutId/${decision}`,
        summary:
          decision === "approve"
            ? "Approve a payout (admin): its hold is posted, once"
            : "Reject a payout (admin): its hold is voided back to the payable, once",
        tags: ["ledger"],
        auth: ["admin"],
        response: payoutDecidedSchema,
        params: z.strictObject({ payoutId }),
      },
      async ({ params, account }) => {
        // An approval is refused while an AML alert holds the payout (docs/compliance.md).
        const resolve = (tx: typeof db) =>
          decision === "approve" ? approvePayoutAfterReview(tx, params.payoutId) : rejectPayout(tx, { payoutId: params.payoutId });
        return auditedChange(
          db,
          (tx) => resolve(tx),
          (result) => (result.created ? { accountId: account!.id, action: `ledger.payout_${decision}d`, subject: `payout:${params.payoutId}` } : undefined),
        );
      },
    );
  }

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/journal",
      summary: "The whole journal with its hash chain and anchors (keyledger-journal-v1), what `keyledger audit ledger --api` audits",
      tags: ["ledger"],
      auth: ["auditor", "admin"],
      response: journalExportSchema,
    },
    // The embedded store (npm start's default) has no URL another process could open, so this is
    // how an auditor's own tool reads its journal; the same format as --write-export.
    async () => exportJournal(await readDatabase(ctx)),
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/trial-balance",
      summary: "Trial balance per currency (totals must be zero)",
      tags: ["ledger"],
      auth: ["auditor", "admin"],
      response: trialBalanceSchema,
    },
    async () => ({ currencies: await getTrialBalance(await readDatabase(ctx)) }),
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/accounts/:accountId/history",
      summary: "Any ledger account's postings with the balance after each",
      tags: ["ledger"],
      auth: ["auditor", "admin"],
      response: statementPageSchema,
      params: z.strictObject({ accountId: idString }),
      query: z.strictObject(page),
    },
    async ({ params, query }) =>
      statementPage(
        await getAccountHistory(await readDatabase(ctx), { accountId: params.accountId, cursor: idSortKey(query.cursor)?.toString(), limit: query.limit }),
      ),
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/reconciliation/orders",
      summary: "Ledger totals per order against the payment records; findings as data",
      tags: ["ledger"],
      auth: ["auditor", "admin"],
      response: orderReconciliationSchema,
      query: z.strictObject({
        orderIds: z
          .string()
          .max(64 * reconcileOrdersMax)
          .optional(),
      }),
    },
    async ({ query }) => ({
      findings: await reconcileOrderPayments(db, { orderIds: query.orderIds ? query.orderIds.split(",").filter(Boolean) : undefined }),
    }),
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/reconciliation/chain-payments",
      summary: "On-chain payments in the ledger against the indexer's final payment events; findings as data",
      tags: ["ledger"],
      auth: ["auditor", "admin"],
      response: chainPaymentReconciliationSchema,
      query: z.strictObject({ chainId: z.coerce.number().int().positive().optional() }),
    },
    async ({ query }) => {
      const chainId = query.chainId ?? (ctx.chain ? Number(ctx.chain.chainId) : undefined);
      if (chainId === undefined) throw new AppError("bad_request", "No chain is configured: pass chainId.");
      return { chainId, findings: await reconcileChainPayments(db, { chainId }) };
    },
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/anchors",
      summary: "On-chain anchors of the journal, newest first, with the transactions each added",
      tags: ["ledger"],
      auth: "public",
      response: anchorPageSchema,
      query: z.strictObject(page),
    },
    async ({ query }) => {
      const { anchors, nextCursor } = await listAnchors(await readDatabase(ctx), { cursor: idSortKey(query.cursor)?.toString(), limit: query.limit });
      return { items: anchors, nextCursor: encodeCursor(nextCursor) };
    },
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/proofs/inclusion/:transactionId",
      summary: "RFC 9162 inclusion proof of a journal transaction in an anchored tree",
      tags: ["ledger"],
      auth: "public",
      response: inclusionProofSchema,
      params: z.strictObject({ transactionId: idString }),
      query: z.strictObject({ treeSize: idString.optional() }),
    },
    async ({ params, query }) => getInclusionProof(await readDatabase(ctx), { transactionId: params.transactionId, treeSize: query.treeSize }),
  );

  defineRoute(
    router,
    ledgerMountPath,
    {
      method: "get",
      path: "/ledger/proofs/consistency",
      summary: "RFC 9162 consistency proof between two tree sizes",
      tags: ["ledger"],
      auth: "public",
      response: consistencyProofSchema,
      query: z.strictObject({ first: idString, second: idString }),
    },
    async ({ query }) => getConsistencyProof(await readDatabase(ctx), { firstSize: query.first, secondSize: query.second }),
  );

  return router;
}
