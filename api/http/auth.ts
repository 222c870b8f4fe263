// Sessions are opaque bearer tokens (32 random bytes, base64url). The database keeps only
// their SHA-256, so a leaked database grants no session. The token arrives only as
// `Authorization: Bearer <token>` (the web app keeps it in storage): a browser never attaches
// that header to a cross-site request on its own, so there is no CSRF to defend against.
// No cookie is read (docs/decisions.md, "Bearer tokens only").
// The same header may carry an API key (`kl_live_…`, docs/api-keys.md): its owner's account, cut
// down to the key's scopes; each route declares the scope that opens it to a key (route.ts).
import type { IncomingHttpHeaders } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../../core/errors.ts";
import type { Drizzle } from "../../core/store/database.ts";
import { resolveSession, type AuthenticatedAccount } from "../services/accounts/sessions.ts";
import { authenticateApiKey, recordApiKeyCall, type ApiKeyPrincipal } from "../services/apiKeys/apiKeys.ts";
import { looksLikeApiKey } from "../services/apiKeys/apiKeySecret.ts";
import { auditCaller } from "../services/audit.ts";
import type { AttemptThrottle } from "../services/throttles/attemptThrottle.ts";

import type { ApiKeyScope, Role } from "../../core/roles.ts";

declare module "express-serve-static-core" {
  interface Request {
    account?: AuthenticatedAccount;
    /** Set when the request is authenticated by an API key rather than a session. */
    apiKey?: ApiKeyPrincipal["key"];
  }
}

/** What authenticating API keys needs: the secrets' HMAC key and the per-key request throttle. */
export type ApiKeyAuthentication = { hashKey: string; throttle: AttemptThrottle };

export function sessionToken(req: { headers: IncomingHttpHeaders }): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim() || undefined;
  return undefined;
}

// Stryker disable all: reads the database; the HTTP suites (test/api) cover it, the mutation
// run's tests are pure (docs/testing.md).
/**
 * Attaches req.account when a valid session token is present; never rejects by itself. An API
 * key is checked here and refused at once when it is not usable (unknown, revoked, expired,
 * from outside its allow-list, over its rate limit); a usable key's call is recorded in the
 * audit log before any route runs, and the route runs with the key as the audit log's caller.
 */
export function loadSession(db: Drizzle, apiKeys?: ApiKeyAuthentication) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const token = sessionToken(req);
    if (token && apiKeys && looksLikeApiKey(token)) {
      const principal = await authenticateApiKey(db, apiKeys.hashKey, token, req.ip);
      await apiKeys.throttle.take({ key: String(principal.key.id) });
      // The path only: a query may carry an order's access token.
      await recordApiKeyCall(db, principal, { method: req.method, path: req.originalUrl.split("?")[0]!, clientAddress: req.ip });
      req.account = principal.account;
      req.apiKey = principal.key;
      auditCaller.run({ apiKeyId: principal.key.id }, next);
      return;
    }
    if (token) req.account = await resolveSession(db, token);
    next();
  };
}
// Stryker restore all

export function requireAccount(req: Request, anyOf?: readonly Role[]): AuthenticatedAccount {
  const account = req.account;
  if (!account) throw new AppError("unauthorized", "Sign in first: send `Authorization: Bearer <token>` from POST /api/auth/login.");
  if (anyOf && !anyOf.some((role) => account.roles.includes(role))) {
    if (anyOf.some((role) => account.withheldRoles.includes(role))) {
      throw new AppError(
        "second_factor_required",
        `The roles ${account.withheldRoles.join(", ")} need a session opened with a second factor: turn on TOTP or add a passkey under /api/account/security, then sign in again.`,
      );
    }
    throw new AppError("forbidden", `This needs one of the roles: ${anyOf.join(", ")}.`);
  }
  return account;
}

/**
 * An API key opens only the routes that declare one of its scopes: any other route answers 403
 * `api_key_scope` to a key, whatever its owner's session could do there. Checked before the
 * route's own rules, so a key learns nothing else about a route it may not use.
 */
export function requireKeyScope(apiKey: ApiKeyPrincipal["key"] | undefined, scope: ApiKeyScope | undefined, operation: string): void {
  if (!apiKey) return;
  if (scope !== undefined && apiKey.scopes.includes(scope)) return;
  throw new AppError(
    "api_key_scope",
    scope === undefined
      ? `${operation} cannot be called with an API key: sign in with a session for it.`
      : `${operation} needs an API key with the scope ${scope}; this key has ${apiKey.scopes.join(", ")}.`,
    { details: { requiredScope: scope ?? null, keyScopes: apiKey.scopes } },
  );
}
