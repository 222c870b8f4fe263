// Chain records over HTTP (mounted under /api). Public: the redemption oracle ("has this key
// been used?") and a token's provenance timeline, from indexed chain data. Auditor (read-only;
// admins too): batches, issuances, transfers, redemptions and payments with their on-chain
// references, the reconciliation report as JSON or CSV, and the audit log. Every list is
// keyset-paginated with a page size bounded by CHAIN_PAGE_SIZE_MAX. Thin: validate, query, respond.
import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { findingsCsv, listAuditLog, listChainRecords, listFindings, type ChainListKind } from "../../services/chainRecords/auditorRecords.ts";
import { lookUpRedemption, tokenProvenance } from "../../services/chainRecords/redemptionOracle.ts";
import { defineRoute } from "../route.ts";
import { readDatabase } from "../../../core/store/replicaReads.ts";
import { cursorParam, encodeCursor, opaque } from "../cursor.ts";
import {
  auditLogPageSchema,
  chainRecordPageSchemas,
  findingsCsvSchema,
  findingsPageSchema,
  oracleAnswerSchema,
  tokenTimelineSchema,
} from "../responses/chain.ts";

export const chainMountPath = "/api";

const tokenIdString = z
  .string()
  .regex(/^\d{1,78}$/, "must be a token id (decimal)")
  .transform((value) => BigInt(value));
const commitmentHex = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 32-byte hex commitment (0x + 64 hex digits)")
  .transform((value) => value.toLowerCase());

export function chainRouter(ctx: AppContext): Router {
  const router = Router();
  const pageSizeMax = ctx.config.indexer.pageSizeMax;
  const page = { limit: z.coerce.number().int().min(1).max(pageSizeMax).default(Math.min(50, pageSizeMax)), cursor: cursorParam.optional() };
  const chainIdOf = () => {
    if (!ctx.chain) throw new AppError("chain_unavailable", "No chain is configured, so there are no chain records.", { retryable: true });
    return Number(ctx.chain.chainId);
  };

  defineRoute(
    router,
    chainMountPath,
    {
      method: "get",
      path: "/chain/oracle",
      summary: "Redemption oracle: whether a key commitment or token is anchored, issued, redeemed or revoked, with transaction hashes",
      tags: ["chain"],
      auth: "public",
      response: oracleAnswerSchema,
      query: z
        .strictObject({ commitment: commitmentHex.optional(), tokenId: tokenIdString.optional() })
        .refine((value) => (value.commitment === undefined) !== (value.tokenId === undefined), "give exactly one of commitment or tokenId"),
    },
    async ({ query }) => lookUpRedemption(await readDatabase(ctx), { chainId: chainIdOf(), commitment: query.commitment, tokenId: query.tokenId }),
  );

  defineRoute(
    router,
    chainMountPath,
    {
      method: "get",
      path: "/chain/tokens/:tokenId/timeline",
      summary: "A token's provenance: anchored, issued, each transfer, redeemed or revoked, with transaction hash and time",
      tags: ["chain"],
      auth: "public",
      response: tokenTimelineSchema,
      params: z.strictObject({ tokenId: tokenIdString }),
      query: z.strictObject({ limit: page.limit }),
    },
    async ({ params, query }) => tokenProvenance(await readDatabase(ctx), { chainId: chainIdOf(), tokenId: params.tokenId, limit: query.limit }),
  );

  for (const kind of ["batches", "issuances", "transfers", "redemptions", "payments"] as ChainListKind[]) {
    defineRoute(
      router,
      chainMountPath,
      {
        method: "get",
        path: `/audit/chain/${kind}`,
        summary: `Indexed ${kind} with their on-chain references, in chain order (auditor, read-only)`,
        tags: ["audit"],
        auth: ["auditor", "admin"],
        response: chainRecordPageSchemas[kind],
        query: z.strictObject(page),
      },
      async ({ query }) => opaque(await listChainRecords(await readDatabase(ctx), { chainId: chainIdOf(), kind, cursor: query.cursor, limit: query.limit })),
    );
  }

  defineRoute(
    router,
    chainMountPath,
    {
      method: "get",
      path: "/audit/reconciliation",
      summary: "Reconciliation findings of the latest run (or runId) as JSON, or CSV with format=csv (auditor, read-only)",
      tags: ["audit"],
      auth: ["auditor", "admin"],
      response: findingsPageSchema,
      alternativeResponse: { contentType: "text/csv", schema: findingsCsvSchema },
      query: z.strictObject({
        ...page,
        runId: z
          .string()
          .regex(/^\d{1,18}$/)
          .transform((value) => BigInt(value))
          .optional(),
        format: z.enum(["json", "csv"]).default("json"),
      }),
    },
    async ({ query, res }) => {
      const report = await listFindings(await readDatabase(ctx), { chainId: chainIdOf(), runId: query.runId, cursor: query.cursor, limit: query.limit });
      if (query.format === "json") return opaque(report);
      res.setHeader("content-type", "text/csv; charset=utf-8");
      res.setHeader("content-disposition", `attachment; filename="reconciliation-${report.run?.id ?? "none"}.csv"`);
      if (report.nextCursor) res.setHeader("x-next-cursor", encodeCursor(report.nextCursor));
      res.status(200).send(findingsCsv(report.items));
      return undefined;
    },
  );

  defineRoute(
    router,
    chainMountPath,
    {
      method: "get",
      path: "/audit/log",
      summary: "The audit log of privileged actions: who, what, when, newest first (auditor, read-only)",
      tags: ["audit"],
      auth: ["auditor", "admin"],
      response: auditLogPageSchema,
      query: z.strictObject(page),
    },
    async ({ query }) => opaque(await listAuditLog(await readDatabase(ctx), { cursor: query.cursor, limit: query.limit })),
  );

  return router;
}
