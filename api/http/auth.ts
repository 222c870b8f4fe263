// Sessions are opaque bearer tokens (32 random bytes, base64url). The database keeps only
// their SHA-256, so a leaked database grants no session. The token arrives only as
// `Authorization: Bearer <token>` (the web app keeps it in storage): a browser never attaches
// that header to a cross-site request on its own, so there is no CSRF to defend against.
// No cookie is read (docs/decisions.md, "Bearer tokens only").
import type { IncomingHttpHeaders } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../errors.ts";
import type { Drizzle } from "../store/database.ts";
import { resolveSession } from "../services/accounts/sessions.ts";

export const roles = ["buyer", "merchant", "reseller", "auditor", "admin"] as const;
export type Role = (typeof roles)[number];

export type AuthenticatedAccount = { id: bigint; email: string; roles: Role[]; tokenHash: Buffer };

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

/** Attaches req.account when a valid session token is present; never rejects by itself. */
export function loadSession(db: Drizzle) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const token = sessionToken(req);
    if (token) req.account = await resolveSession(db, token);
    next();
  };
}

export function requireAccount(req: Request, anyOf?: readonly Role[]): AuthenticatedAccount {
  const account = req.account;
  if (!account) throw new AppError("unauthorized", "Sign in first: send `Authorization: Bearer <token>` from POST /api/auth/login.");
  if (anyOf && !anyOf.some((role) => account.roles.includes(role))) {
    throw new AppError("forbidden", `This needs one of the roles: ${anyOf.join(", ")}.`);
  }
  return account;
}
