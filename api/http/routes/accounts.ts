import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { roles, selfAssignableRoles } from "../../../core/roles.ts";
import { createAccount, getAccount, grantRoles } from "../../services/accounts/accounts.ts";
import { createSession, revokeSession } from "../../services/accounts/sessions.ts";
import { loginAttemptKeys, loginThrottleRules, signIn } from "../../services/accounts/signIn.ts";
import { signUpThrottleRules, takeSignUpAttempt } from "../../services/accounts/signUp.ts";
import { captchaHeader } from "../../services/captcha/captcha.ts";
import { loginCaptchaGate, signupCaptchaGate } from "../../services/captcha/captchaGates.ts";
import { captchaOf } from "../captchaOf.ts";
import { createAttemptThrottle } from "../../services/throttles/attemptThrottle.ts";
import { createRedisBound } from "../../services/throttles/boundedRedis.ts";
import { auditedChange } from "../../services/audit.ts";
import { defineRoute } from "../route.ts";
import { displayName, email, idString, password } from "../schemas.ts";
import { accountSchema, sessionSchema } from "../responses/accounts.ts";
import { signInSchema } from "../responses/accountSecurity.ts";
import { noContent } from "../responses/common.ts";

export const accountsMountPath = "/api";

export function accountsRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const loginThrottle = createAttemptThrottle({
    redis: ctx.queues.connection,
    timeoutMs: ctx.config.redis.throttleTimeoutMs,
    prefix: `${ctx.config.redis.prefix}:login`,
    rules: loginThrottleRules(ctx.config.throttles.login),
    what: "sign-in attempts for this account or from this address",
  });
  const signUpThrottle = createAttemptThrottle({
    redis: ctx.queues.connection,
    timeoutMs: ctx.config.redis.throttleTimeoutMs,
    prefix: `${ctx.config.redis.prefix}:signup`,
    rules: signUpThrottleRules(ctx.config.throttles.signupTaken),
    what: "sign-ups with emails that have an account from this address",
  });
  // Proof-of-work captcha when risk is raised (docs/abuse.md): kept to one call at the top of
  // the sign-up and login handlers.
  const captcha = captchaOf(ctx);
  const signupCaptcha = signupCaptchaGate(
    createRedisBound(ctx.queues.connection, ctx.config.redis.throttleTimeoutMs),
    ctx.queues.connection,
    ctx.config.redis.prefix,
    captcha,
    ctx.config.captcha.signupAfterPerClient,
  );
  const loginCaptcha = loginCaptchaGate(loginThrottle, loginAttemptKeys, captcha, ctx.config.captcha.loginAfterFailures);

  defineRoute(
    router,
    accountsMountPath,
    {
      method: "post",
      path: "/auth/signup",
      summary: "Create an account (buyer, merchant or reseller) and sign in (after a few sign-ups from one address: 428 captcha_required)",
      tags: ["accounts"],
      auth: "public",
      status: 201,
      response: sessionSchema,
      body: z.strictObject({
        email,
        password,
        roles: z.array(z.enum(selfAssignableRoles)).min(1).max(3).default(["buyer"]),
        displayName: displayName({ max: 80 }).optional(),
        locale: z.enum(["zh-CN", "en"]).optional().describe("The language of the mails the account receives (default zh-CN)"),
      }),
    },
    async ({ body, req }) => {
      await signupCaptcha.check({ clientAddress: req.ip ?? "unknown" }, req.get(captchaHeader));
      // An answer of email_taken tells whether an email has an account: each one costs a point
      // of a per-address throttle, and a sign-up that creates an account gives it back
      // (docs/accounts.md, "Sign-up and enumeration").
      const attempt = await takeSignUpAttempt(signUpThrottle, req.ip ?? "unknown");
      const account = await createAccount(db, { ...body, roles: [...new Set(body.roles)] });
      await attempt.refund();
      const session = await createSession(db, BigInt(account.id), ctx.config.sessions.ttlSeconds, { clientAddress: req.ip, userAgent: req.get("user-agent") });
      return { account, token: session.token, expiresAt: session.expiresAt.toISOString() };
    },
  );

  defineRoute(
    router,
    accountsMountPath,
    {
      method: "post",
      path: "/auth/login",
      summary:
        "Sign in with email and password: a bearer token, or (state second_factor_required) a pending token for POST /api/auth/second-factor; attempts are throttled per account and client: 429 with Retry-After; after failed attempts: 428 captcha_required",
      tags: ["accounts"],
      auth: "public",
      response: signInSchema,
      body: z.strictObject({ email, password: z.string().min(1).max(256) }),
    },
    async ({ body, req }) => {
      await loginCaptcha.check({ email: body.email, clientAddress: req.ip ?? "unknown" }, req.get(captchaHeader));
      return signIn(db, loginThrottle, {
        ...body,
        sessionTtlSeconds: ctx.config.sessions.ttlSeconds,
        clientAddress: req.ip ?? "unknown",
        userAgent: req.get("user-agent"),
      });
    },
  );

  defineRoute(
    router,
    accountsMountPath,
    { method: "post", path: "/auth/logout", summary: "End this session", tags: ["accounts"], auth: "account", response: noContent },
    async ({ account }) => {
      await revokeSession(db, account!.tokenHash);
      return undefined;
    },
  );

  defineRoute(
    router,
    accountsMountPath,
    { method: "get", path: "/me", summary: "The signed-in account", tags: ["accounts"], auth: "account", response: accountSchema },
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
      response: accountSchema,
      params: z.strictObject({ accountId: idString }),
      body: z.strictObject({ roles: z.array(z.enum(roles)).min(1).max(5) }),
    },
    async ({ params, body, account }) => {
      return auditedChange(
        db,
        (tx) => grantRoles(tx, params.accountId, body.roles),
        (updated) => ({ accountId: account!.id, action: "account.roles_granted", subject: `account:${updated.id}`, details: { roles: body.roles } }),
      );
    },
  );

  return router;
}
