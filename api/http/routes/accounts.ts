import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { createAccount, getAccount, grantRoles, selfAssignableRoles } from "../../services/accounts/accounts.ts";
import { createSession, revokeSession } from "../../services/accounts/sessions.ts";
import { loginThrottleRules, signIn } from "../../services/accounts/signIn.ts";
import { createAttemptThrottle } from "../../services/throttles/attemptThrottle.ts";
import { recordAudit } from "../../services/audit.ts";
import { roles } from "../auth.ts";
import { defineRoute } from "../route.ts";
import { displayName, email, idString, password } from "../schemas.ts";

export const accountsMountPath = "/api";

export function accountsRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const loginThrottle = createAttemptThrottle({
    redis: ctx.queues.connection,
    prefix: `${ctx.config.redis.prefix}:login`,
    rules: loginThrottleRules(ctx.config.throttles.login),
    what: "sign-in attempts for this account or from this address",
  });

  defineRoute(
    router,
    accountsMountPath,
    {
      method: "post",
      path: "/auth/signup",
      summary: "Create an account (buyer, merchant or reseller) and sign in",
      tags: ["accounts"],
      auth: "public",
      status: 201,
      body: z.strictObject({
        email,
        password,
        roles: z.array(z.enum(selfAssignableRoles)).min(1).max(3).default(["buyer"]),
        displayName: displayName({ max: 80 }).optional(),
      }),
    },
    async ({ body }) => {
      const account = await createAccount(db, { ...body, roles: [...new Set(body.roles)] });
      const session = await createSession(db, BigInt(account.id), ctx.config.sessions.ttlSeconds);
      return { account, token: session.token, expiresAt: session.expiresAt.toISOString() };
    },
  );

  defineRoute(
    router,
    accountsMountPath,
    {
      method: "post",
      path: "/auth/login",
      summary: "Sign in with email and password; returns a bearer token (attempts are throttled per account and client: 429 with Retry-After)",
      tags: ["accounts"],
      auth: "public",
      body: z.strictObject({ email, password: z.string().min(1).max(256) }),
    },
    async ({ body, req }) => {
      const account = await signIn(db, loginThrottle, { ...body, clientAddress: req.ip ?? "unknown" });
      const session = await createSession(db, BigInt(account.id), ctx.config.sessions.ttlSeconds);
      return { account, token: session.token, expiresAt: session.expiresAt.toISOString() };
    },
  );

  defineRoute(
    router,
    accountsMountPath,
    { method: "post", path: "/auth/logout", summary: "End this session", tags: ["accounts"], auth: "account" },
    async ({ account }) => {
      await revokeSession(db, account!.tokenHash);
      return undefined;
    },
  );

  defineRoute(
    router,
    accountsMountPath,
    { method: "get", path: "/me", summary: "The signed-in account", tags: ["accounts"], auth: "account" },
    async ({ account }) => getAccount(db, account!.id),
  );

  defineRoute(
    router,
    accountsMountPath,
    {
      method: "post",
      path: "/admin/accounts/:accountId/roles",
      summary: "Grant roles to an account (admin)",
      tags: ["admin"],
      auth: ["admin"],
      params: z.strictObject({ accountId: idString }),
      body: z.strictObject({ roles: z.array(z.enum(roles)).min(1).max(5) }),
    },
    async ({ params, body, account }) => {
      const updated = await grantRoles(db, params.accountId, body.roles);
      await recordAudit(db, { accountId: account!.id, action: "account.roles_granted", subject: `account:${updated.id}`, details: { roles: body.roles } });
      return updated;
    },
  );

  return router;
}
