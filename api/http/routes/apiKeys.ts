// API keys (docs/api-keys.md): a merchant or an agent creates keys for their own account with
// scopes, an optional expiry and an optional allow-list, lists them and revokes them. Managed
// with a session only: no scope opens these routes to a key, so a leaked key cannot mint others.
import { Router } from "express";
import { z } from "zod";
import { apiKeyOwnerRoles, apiKeyScopes } from "../../../core/roles.ts";
import type { AppContext } from "../../context.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../../services/apiKeys/apiKeys.ts";
import { cursorParam, idSortKey, opaque } from "../cursor.ts";
import { apiKeyPageSchema, apiKeySchema, createdApiKeySchema } from "../responses/apiKeys.ts";
import { defineRoute } from "../route.ts";
import { displayName, idString } from "../schemas.ts";

export const apiKeysMountPath = "/api";

// Enough for a handful of offices or cloud ranges; a key used from anywhere has an empty list.
const allowedNetworksMax = 32;

const createBody = z.strictObject({
  name: displayName({ max: 80 }),
  scopes: z
    .array(z.enum(apiKeyScopes, { message: `must be one of ${apiKeyScopes.join(", ")}` }))
    .min(1, "grant at least one scope")
    .max(apiKeyScopes.length)
    .refine((scopes) => new Set(scopes).size === scopes.length, "lists a scope twice"),
  expiresAt: z.iso
    .datetime({ offset: true, message: "must be an ISO 8601 date-time such as 2027-01-31T00:00:00Z" })
    .transform((value) => new Date(value))
    .optional(),
  allowedNetworks: z
    .array(z.string().max(64))
    .max(allowedNetworksMax, `at most ${allowedNetworksMax} networks`)
    .default([])
    .describe("CIDR networks (IPv4 or IPv6) the key may be used from, e.g. 203.0.113.0/24; empty or absent: any address"),
});

export function apiKeysRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const settings = {
    hashKey: ctx.config.apiKeys.hashKey,
    keysPerAccountMax: ctx.config.apiKeys.keysPerAccountMax,
    planLimits: ctx.config.merchants.saas.limitsEnforced,
  };
  const owners = [...apiKeyOwnerRoles];

  defineRoute(
    router,
    apiKeysMountPath,
    {
      method: "post",
      path: "/api-keys",
      summary: "Create an API key for your account with scopes, an optional expiry and allow-list; the answer shows its secret once",
      tags: ["api-keys"],
      auth: owners,
      status: 201,
      body: createBody,
      response: createdApiKeySchema,
    },
    async ({ account, body }) => createApiKey(db, settings, account!.id, body),
  );

  defineRoute(
    router,
    apiKeysMountPath,
    {
      method: "get",
      path: "/api-keys",
      summary: "Your API keys, newest first, revoked ones included (never their secrets)",
      tags: ["api-keys"],
      auth: owners,
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50), cursor: cursorParam.optional() }),
      response: apiKeyPageSchema,
    },
    async ({ account, query }) => opaque(await listApiKeys(db, account!.id, { limit: query.limit, beforeId: idSortKey(query.cursor) })),
  );

  defineRoute(
    router,
    apiKeysMountPath,
    {
      method: "post",
      path: "/api-keys/:keyId/revoke",
      summary: "Revoke one of your API keys: every later call with it answers 401 api_key_revoked",
      tags: ["api-keys"],
      auth: owners,
      params: z.strictObject({ keyId: idString }),
      response: apiKeySchema,
    },
    async ({ account, params }) => revokeApiKey(db, account!.id, params.keyId),
  );
  return router;
}
