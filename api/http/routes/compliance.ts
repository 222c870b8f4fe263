// Compliance routes (docs/compliance.md): the AML alert queue, decisions, flagged wallets and the
// regulator's export; a person's data export and erasure, and legal holds. Thin: validate, call a
// service (api/services/compliance), answer.
import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { decideAlert, flagWallet, getAlert, listAlerts, listFlaggedWallets, unflagWallet } from "../../services/compliance/aml.ts";
import { exportAmlCsv, exportAmlJson } from "../../services/compliance/amlExport.ts";
import { erasePerson, exportPersonalData, placeLegalHold, releaseLegalHold } from "../../services/compliance/dataRights.ts";
import { cursorParam, encodeCursor, idSortKey } from "../cursor.ts";
import { noContent, textBody } from "../responses/common.ts";
import {
  amlAlertListSchema,
  amlAlertSchema,
  amlDecidedSchema,
  amlExportSchema,
  erasureSchema,
  flaggedWalletListSchema,
  legalHoldSchema,
  personalDataExportSchema,
} from "../responses/compliance.ts";
import { defineRoute } from "../route.ts";
import { idString, moneyMinor, singleLineText } from "../schemas.ts";

export const complianceMountPath = "/api";

const reason = singleLineText({ min: 1, max: 500 });
const wallet = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x address of 40 hex digits")
  .transform((value) => value.toLowerCase());
const since = z.iso.datetime({ offset: true }).optional();

export function complianceRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const aml = ctx.config.compliance.aml;
  const alertParams = z.strictObject({ alertId: idString });

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "get",
      path: "/admin/aml/alerts",
      summary: "AML alerts, newest first, each with the ledger entries that caused it and its decisions",
      tags: ["admin"],
      auth: ["admin", "auditor"],
      response: amlAlertListSchema,
      query: z.strictObject({
        state: z.enum(["open", "cleared", "frozen", "released"]).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: cursorParam.optional(),
      }),
    },
    async ({ query }) => {
      const items = await listAlerts(db, { state: query.state, beforeId: idSortKey(query.cursor), limit: query.limit });
      return { items, nextCursor: encodeCursor(items.length === query.limit ? items.at(-1)!.id : null) };
    },
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "get",
      path: "/admin/aml/alerts/:alertId",
      summary: "One AML alert with its ledger entries and decisions",
      tags: ["admin"],
      auth: ["admin", "auditor"],
      response: amlAlertSchema,
      params: alertParams,
    },
    async ({ params }) => getAlert(db, params.alertId),
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "post",
      path: "/admin/aml/alerts/:alertId/decision",
      summary:
        "Decide an AML alert (admin): clear it, freeze (a ledger hold on the shop's payable; a payout it held is rejected) or release a freeze; once each, with a reason, audited",
      tags: ["admin"],
      auth: ["admin"],
      response: amlDecidedSchema,
      params: alertParams,
      body: z.strictObject({ decision: z.enum(["clear", "freeze", "release"]), reason, amountMinor: moneyMinor.optional() }),
    },
    async ({ params, body, account }) =>
      db.transaction((tx) =>
        decideAlert(tx, { alertId: params.alertId, decision: body.decision, reason: body.reason, actorId: account!.id, amountMinor: body.amountMinor }),
      ) as Promise<{ alertId: string; state: "cleared" | "frozen" | "released"; holdId: string | null }>,
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "get",
      path: "/admin/aml/export",
      summary: "The regulator's export of AML alerts and decisions as JSON, each ledger entry with its RFC 9162 inclusion proof",
      tags: ["admin"],
      auth: ["admin", "auditor"],
      response: amlExportSchema,
      query: z.strictObject({ since }),
    },
    async ({ query }) => exportAmlJson(db, { since: query.since ? new Date(query.since) : undefined }),
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "get",
      path: "/admin/aml/export/csv",
      summary: "The regulator's export of AML alerts and decisions as CSV: one row per decision (formulas neutralised)",
      tags: ["admin"],
      auth: ["admin", "auditor"],
      response: textBody,
      responseType: "application/octet-stream",
      query: z.strictObject({ since }),
    },
    async ({ query, res }) => {
      const bytes = Buffer.from(await exportAmlCsv(db, { since: query.since ? new Date(query.since) : undefined }));
      res.writeHead(200, {
        "content-type": "text/csv; charset=utf-8",
        "content-length": String(bytes.length),
        "content-disposition": 'attachment; filename="aml-alerts.csv"',
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
      });
      res.end(bytes);
    },
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "get",
      path: "/admin/aml/flagged-wallets",
      summary: "Wallets a payout to which is held for AML review (the admins' list and AML_FLAGGED_WALLETS)",
      tags: ["admin"],
      auth: ["admin", "auditor"],
      response: flaggedWalletListSchema,
    },
    async () => ({ items: await listFlaggedWallets(db, aml) }),
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "put",
      path: "/admin/aml/flagged-wallets/:address",
      summary: "Flag a wallet (admin, audited): payouts to it are held for review",
      tags: ["admin"],
      auth: ["admin"],
      status: 204,
      response: noContent,
      params: z.strictObject({ address: wallet }),
      body: z.strictObject({ reason }),
    },
    async ({ params, body, account }) => {
      await db.transaction((tx) => flagWallet(tx, { address: params.address, reason: body.reason, actorId: account!.id }));
    },
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "delete",
      path: "/admin/aml/flagged-wallets/:address",
      summary: "Remove a wallet from the flagged list (admin, audited)",
      tags: ["admin"],
      auth: ["admin"],
      status: 204,
      response: noContent,
      params: z.strictObject({ address: wallet }),
    },
    async ({ params, account }) => {
      await db.transaction((tx) => unflagWallet(tx, { address: params.address, actorId: account!.id }));
    },
  );

  // --- Data rights ---------------------------------------------------------------------------------

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "get",
      path: "/account/data-export",
      summary: "Everything the platform holds about the signed-in person, as JSON, at once",
      tags: ["accounts"],
      auth: "account",
      response: personalDataExportSchema,
    },
    async ({ account }) => exportPersonalData(db, account!.id),
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "post",
      path: "/account/erasure",
      summary:
        "Erase the signed-in person: personal data erased or pseudonymised, delivered key secrets and owned shops' data keys destroyed; refused while a dispute or legal hold is open",
      tags: ["accounts"],
      auth: "account",
      response: erasureSchema,
      body: z.strictObject({ confirm: z.literal("erase my data") }),
    },
    async ({ account }) => erasePerson(db, ctx.keyRing, { accountId: account!.id, actorId: account!.id }),
  );

  const accountParams = z.strictObject({ accountId: idString });
  defineRoute(
    router,
    complianceMountPath,
    {
      method: "post",
      path: "/admin/accounts/:accountId/erasure",
      summary: "Erase a person on their verified request (admin, audited); refused while a dispute or legal hold is open",
      tags: ["admin"],
      auth: ["admin"],
      response: erasureSchema,
      params: accountParams,
    },
    async ({ params, account }) => erasePerson(db, ctx.keyRing, { accountId: params.accountId, actorId: account!.id }),
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "post",
      path: "/admin/accounts/:accountId/legal-holds",
      summary: "Place a legal hold on a person (admin, audited): their erasure is refused until it is released",
      tags: ["admin"],
      auth: ["admin"],
      status: 201,
      response: legalHoldSchema,
      params: accountParams,
      body: z.strictObject({ reason }),
    },
    async ({ params, body, account }) => db.transaction((tx) => placeLegalHold(tx, { accountId: params.accountId, reason: body.reason, actorId: account!.id })),
  );

  defineRoute(
    router,
    complianceMountPath,
    {
      method: "post",
      path: "/admin/legal-holds/:holdId/release",
      summary: "Release a legal hold (admin, audited)",
      tags: ["admin"],
      auth: ["admin"],
      status: 204,
      response: noContent,
      params: z.strictObject({ holdId: idString }),
    },
    async ({ params, account }) => {
      await db.transaction((tx) => releaseLegalHold(tx, { holdId: params.holdId, actorId: account!.id }));
    },
  );

  return router;
}
