// Sessions are opaque bearer tokens (32 random bytes, base64url). The database keeps only
// their SHA-256, so a leaked database grants no session. The token arrives only as
// `Authorization: Bearer <token>` (the web app keeps it in storage): a browser never attaches
// that header to a cross-site request on its own, so there is no CSRF to defend against.
// No cookie is read (docs/decisions.md, "Bearer tokens only").
import type { IncomingHttpHeaders } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../../core/errors.ts";
import type { Drizzle } from "../../core/store/database.ts";
import { resolveSession, type AuthenticatedAccount } from "../services/accounts/sessions.ts";

import type { Role } from "../../core/roles.ts";

declare module "express-serve-static-core" {
  interface Request {
    account?: AuthenticatedAccount;
  }
}

export function sessionToken(req: { headers: IncomingHttpHeaders }): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim() || undefined;
  return undefined;
}

// Stryker disable all: reads the database; the HTTP suites (test/api) cover it, the mutation
// run's tests are pure (docs/testing.md).
/** Attaches req.account when a valid session token is present; never rejects by itself. */
export function loadSession(db: Drizzle) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const token = sessionToken(req);
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
