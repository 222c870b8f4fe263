// Account security (docs/accounts.md): the second step of a sign-in (TOTP, recovery code or
// passkey), passkey sign-in without a password, password reset by mail, and the owner's
// security settings: TOTP with recovery codes, passkeys, active sessions, login history.
import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { listLoginHistory } from "../../services/accounts/loginHistory.ts";
import {
  listPasskeys,
  passkeyRegistrationOptions,
  passkeySignInOptions,
  registerPasskey,
  relyingPartyOf,
  removePasskey,
  signInWithPasskey,
  type PasskeyDeps,
} from "../../services/accounts/passkeys.ts";
import { createPasswordReset, resetPassword } from "../../services/accounts/passwordReset.ts";
import { recoveryCodesLeft } from "../../services/accounts/recoveryCodes.ts";
import { completeSecondFactor, secondFactorThrottleRules } from "../../services/accounts/secondFactor.ts";
import { listSessions, revokeSessionById, staffRoles } from "../../services/accounts/sessions.ts";
import { beginTotpEnrolment, totpEnabled } from "../../services/accounts/totp.ts";
import { confirmTotp, disableTotp, renewRecoveryCodes } from "../../services/accounts/totpSettings.ts";
import { createMailer } from "../../services/mail/mailer.ts";
import { sendPasswordResetMail } from "../../services/mail/passwordResetMail.ts";
import { createAttemptThrottle } from "../../services/throttles/attemptThrottle.ts";
import { encodeCursor, cursorParam } from "../cursor.ts";
import { defineRoute } from "../route.ts";
import { displayName, email, idString, password } from "../schemas.ts";
import {
  loginHistoryPageSchema,
  passkeyRegistrationOptionsSchema,
  passkeySchema,
  passkeySignInOptionsSchema,
  passwordResetRequestedSchema,
  recoveryCodesSchema,
  securityOverviewSchema,
  sessionListSchema,
  signInSchema,
  totpEnrolmentSchema,
} from "../responses/accountSecurity.ts";
import { noContent } from "../responses/common.ts";

export const accountSecurityMountPath = "/api";

const totpCode = z.string().regex(/^\d{6}$/, "must be the 6 digits your authenticator app shows");
const recoveryCode = z
  .string()
  .min(16)
  .max(32)
  .regex(/^[A-Za-z2-7 -]+$/, "must be one of your recovery codes, e.g. ABCD-EFGH-IJKL-MNOP");
const pendingToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be the pendingToken from POST /api/auth/login");
const base64url = z
  .string()
  .max(65_536)
  .regex(/^[A-Za-z0-9_-]*$/, "must be base64url");

// The authenticator's answers as @simplewebauthn/browser hands them over (RegistrationResponseJSON,
// AuthenticationResponseJSON): strict at the top, the extension results left as they come.
const transports = z.array(z.enum(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"])).max(8);
const credentialCommon = {
  id: base64url,
  rawId: base64url,
  type: z.literal("public-key"),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()),
};
const registrationResponse = z.strictObject({
  ...credentialCommon,
  response: z.strictObject({
    clientDataJSON: base64url,
    attestationObject: base64url,
    authenticatorData: base64url.optional(),
    transports: transports.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url.optional(),
  }),
});
const authenticationResponse = z.strictObject({
  ...credentialCommon,
  response: z.strictObject({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.optional() }),
});

export function accountSecurityRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const ring = ctx.keyRing;
  const sessionTtlSeconds = ctx.config.sessions.ttlSeconds;
  const secondFactorThrottle = createAttemptThrottle({
    redis: ctx.queues.connection,
    timeoutMs: ctx.config.redis.throttleTimeoutMs,
    prefix: `${ctx.config.redis.prefix}:second-factor`,
    rules: secondFactorThrottleRules(ctx.config.throttles.secondFactor),
    what: "wrong codes for this account",
  });
  const resetThrottle = createAttemptThrottle({
    redis: ctx.queues.connection,
    timeoutMs: ctx.config.redis.throttleTimeoutMs,
    prefix: `${ctx.config.redis.prefix}:password-reset`,
    rules: [
      { name: "email", points: ctx.config.throttles.passwordReset.attemptsPerEmailMax, windowSeconds: ctx.config.throttles.passwordReset.windowSeconds },
      { name: "client", points: ctx.config.throttles.passwordReset.attemptsPerClientMax, windowSeconds: ctx.config.throttles.passwordReset.windowSeconds },
    ],
    what: "password reset requests for this email or from this address",
  });
  const mailer = createMailer(ctx.config.mail);
  const passkeys: PasskeyDeps = {
    db,
    rp: relyingPartyOf(ctx.config.http.publicUrl),
    challengeTtlSeconds: ctx.config.accountSecurity.webauthnChallengeTtlSeconds,
    sessionTtlSeconds,
  };
  const totpDeps = { db, ring, throttle: secondFactorThrottle };
  const origin = (req: { ip?: string; get(name: string): string | undefined }) => ({ clientAddress: req.ip ?? "unknown", userAgent: req.get("user-agent") });

  // --- Signing in ---------------------------------------------------------------------------

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/auth/second-factor",
      summary: "Finish a sign-in with a TOTP code or a recovery code (throttled per account: 429 with Retry-After)",
      tags: ["accounts"],
      auth: "public",
      response: signInSchema,
      body: z.union([z.strictObject({ pendingToken, code: totpCode }), z.strictObject({ pendingToken, recoveryCode })]),
    },
    async ({ body, req }) => completeSecondFactor(db, ring, secondFactorThrottle, { ...body, sessionTtlSeconds, ...origin(req) }),
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/auth/passkey/options",
      summary: "Start a passkey sign-in: with pendingToken as the second factor, without it instead of a password",
      tags: ["accounts"],
      auth: "public",
      response: passkeySignInOptionsSchema,
      body: z.strictObject({ pendingToken: pendingToken.optional() }),
    },
    async ({ body }) => passkeySignInOptions(passkeys, body.pendingToken),
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/auth/passkey",
      summary: "Finish a passkey sign-in with the authenticator's answer",
      tags: ["accounts"],
      auth: "public",
      response: signInSchema,
      body: z.strictObject({ response: authenticationResponse, pendingToken: pendingToken.optional() }),
    },
    async ({ body, req }) => signInWithPasskey(passkeys, { response: body.response, pendingToken: body.pendingToken, ...origin(req) }),
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/auth/password-reset",
      summary: "Mail a password reset link; the answer is the same whether the email has an account or not",
      tags: ["accounts"],
      auth: "public",
      status: 202,
      response: passwordResetRequestedSchema,
      body: z.strictObject({ email }),
    },
    async ({ body, req }) => {
      const reset = await createPasswordReset(db, resetThrottle, {
        email: body.email,
        clientAddress: req.ip ?? "unknown",
        ttlSeconds: ctx.config.accountSecurity.passwordResetTtlSeconds,
      });
      if (reset) {
        if (!mailer) ctx.logger.warn({ event: "password_reset.no_mailer" }, "A password reset was asked for but SMTP_URL is not set: no mail sent.");
        else {
          // Sent after the answer, so its time does not tell whether the email has an account.
          const resetUrl = `${ctx.config.http.publicUrl}/reset-password#token=${reset.token}`;
          const ttlMinutes = Math.round(ctx.config.accountSecurity.passwordResetTtlSeconds / 60);
          void sendPasswordResetMail(mailer, { to: reset.email, locale: reset.locale, resetUrl, ttlMinutes }).catch((error: unknown) =>
            ctx.logger.error(
              { event: "password_reset.mail_failed", error: error instanceof Error ? error.message : String(error) },
              "The password reset mail was not sent.",
            ),
          );
        }
      }
      return { accepted: true as const };
    },
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/auth/password-reset/confirm",
      summary: "Set a new password with a reset link's token (once, before it expires); ends every session of the account",
      tags: ["accounts"],
      auth: "public",
      response: noContent,
      body: z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be the token from the reset link"), password }),
    },
    async ({ body, req }) => {
      await resetPassword(db, { ...body, ...origin(req) });
      return undefined;
    },
  );

  // --- The owner's settings -----------------------------------------------------------------

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "get",
      path: "/account/security",
      summary: "This account's second factors",
      tags: ["account security"],
      auth: "account",
      response: securityOverviewSchema,
    },
    async ({ account }) => {
      const id = account!.id;
      const [enabled, left, keys] = await Promise.all([totpEnabled(db, id), recoveryCodesLeft(db, id), listPasskeys(db, id)]);
      return {
        totpEnabled: enabled,
        recoveryCodesLeft: left,
        passkeys: keys,
        secondFactorRequired: [...account!.roles, ...account!.withheldRoles].some((role) => staffRoles.includes(role)),
        sessionFactor: account!.factor,
      };
    },
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/account/security/totp",
      summary: "Start turning TOTP on: a new secret to add to an authenticator app, waiting for its first code",
      tags: ["account security"],
      auth: "account",
      status: 201,
      response: totpEnrolmentSchema,
    },
    async ({ account }) => beginTotpEnrolment(db, ring, account!),
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/account/security/totp/confirm",
      summary: "Turn TOTP on with its first code; answers the ten recovery codes, once",
      tags: ["account security"],
      auth: "account",
      response: recoveryCodesSchema,
      body: z.strictObject({ code: totpCode }),
    },
    async ({ account, body }) => confirmTotp(totpDeps, account!, body.code),
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/account/security/totp/disable",
      summary: "Turn TOTP off (needs a current code; admins and auditors need a passkey left)",
      tags: ["account security"],
      auth: "account",
      response: noContent,
      body: z.strictObject({ code: totpCode }),
    },
    async ({ account, body }) => {
      await disableTotp(totpDeps, account!, body.code);
      return undefined;
    },
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/account/security/recovery-codes",
      summary: "Replace the recovery codes with ten new ones (needs a current code); answers them, once",
      tags: ["account security"],
      auth: "account",
      response: recoveryCodesSchema,
      body: z.strictObject({ code: totpCode }),
    },
    async ({ account, body }) => renewRecoveryCodes(totpDeps, account!, body.code),
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/account/passkeys/options",
      summary: "Start adding a passkey: the options for navigator.credentials.create",
      tags: ["account security"],
      auth: "account",
      response: passkeyRegistrationOptionsSchema,
    },
    async ({ account }) => passkeyRegistrationOptions(passkeys, account!),
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "post",
      path: "/account/passkeys",
      summary: "Add a passkey with the authenticator's answer",
      tags: ["account security"],
      auth: "account",
      status: 201,
      response: passkeySchema,
      body: z.strictObject({ name: displayName({ max: 60 }), response: registrationResponse }),
    },
    async ({ account, body }) => registerPasskey(passkeys, account!, body),
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "delete",
      path: "/account/passkeys/:passkeyId",
      summary: "Remove one of this account's passkeys",
      tags: ["account security"],
      auth: "account",
      response: noContent,
      params: z.strictObject({ passkeyId: idString }),
    },
    async ({ account, params }) => {
      await removePasskey(db, account!, params.passkeyId);
      return undefined;
    },
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "get",
      path: "/account/sessions",
      summary: "This account's active sessions",
      tags: ["account security"],
      auth: "account",
      response: sessionListSchema,
    },
    async ({ account }) => ({ items: await listSessions(db, account!) }),
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "delete",
      path: "/account/sessions/:sessionId",
      summary: "End one of this account's sessions (signs that device out)",
      tags: ["account security"],
      auth: "account",
      response: noContent,
      params: z.strictObject({ sessionId: idString }),
    },
    async ({ account, params }) => {
      if (!(await revokeSessionById(db, account!.id, params.sessionId))) throw new AppError("not_found", "No such session on this account.");
      return undefined;
    },
  );

  defineRoute(
    router,
    accountSecurityMountPath,
    {
      method: "get",
      path: "/account/login-history",
      summary: "Sign-in attempts on this account, newest first",
      tags: ["account security"],
      auth: "account",
      response: loginHistoryPageSchema,
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50), cursor: cursorParam.optional() }),
    },
    async ({ account, query }) => {
      if (query.cursor !== undefined && !/^\d{1,18}$/.test(query.cursor))
        throw new AppError("bad_request", "cursor must be the nextCursor of a previous page.");
      const page = await listLoginHistory(db, account!.id, { beforeId: query.cursor === undefined ? undefined : BigInt(query.cursor), limit: query.limit });
      return { items: page.items, nextCursor: encodeCursor(page.nextBeforeId === null ? null : String(page.nextBeforeId)) };
    },
  );

  return router;
}
