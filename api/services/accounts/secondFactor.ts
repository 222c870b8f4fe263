// The second step of a sign-in: the pending token from the password step and a TOTP code or
// a recovery code (passkeys: api/services/accounts/passkeys.ts). Attempts are throttled per
// account (and per account and client) before the code is checked, like passwords, so the
// million TOTP codes cannot be walked; a right code gives its point back.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import type { AttemptThrottle, ThrottleRule } from "../throttles/attemptThrottle.ts";
import { getAccount } from "./accounts.ts";
import { recordLogin } from "./loginHistory.ts";
import { spendRecoveryCode } from "./recoveryCodes.ts";
import { createSession, hashToken, type SessionFactor, type SessionOrigin } from "./sessions.ts";
import type { SignInResult } from "./signIn.ts";
import { checkTotpCode } from "./totp.ts";

export type SecondFactorThrottleSettings = { attemptsPerAccountAndClientMax: number; attemptsPerAccountMax: number; windowSeconds: number };

export function secondFactorThrottleRules(settings: SecondFactorThrottleSettings): ThrottleRule[] {
  return [
    { name: "accountClient", points: settings.attemptsPerAccountAndClientMax, windowSeconds: settings.windowSeconds },
    { name: "account", points: settings.attemptsPerAccountMax, windowSeconds: settings.windowSeconds },
  ];
}

export function secondFactorKeys(accountId: bigint, clientAddress: string | undefined): Record<string, string> {
  return { accountClient: `${accountId}|${clientAddress ?? "unknown"}`, account: String(accountId) };
}

const expiredMessage = "This sign-in has expired or is finished: sign in with your password again.";

/** The account waiting behind a pending token (the password step's answer). */
export async function pendingSignInAccount(db: Drizzle, pendingToken: string): Promise<bigint> {
  const row = await queryOne<{ account_id: bigint }>(
    db,
    sql`SELECT account_id FROM sessions WHERE token_hash = ${hashToken(pendingToken)} AND stage = 'second_factor' AND expires_at > now()`,
  );
  if (!row) throw new AppError("unauthorized", expiredMessage);
  return BigInt(row.account_id);
}

/**
 * Ends a pending sign-in with a session opened with `factor`, inside the caller's transaction:
 * the pending token is deleted first, so it finishes one sign-in at most.
 */
export async function finishPendingSignIn(
  tx: Drizzle,
  pendingToken: string,
  factor: SessionFactor,
  input: { sessionTtlSeconds: number } & SessionOrigin,
): Promise<SignInResult> {
  const row = await queryOne<{ account_id: bigint }>(
    tx,
    sql`DELETE FROM sessions WHERE token_hash = ${hashToken(pendingToken)} AND stage = 'second_factor' AND expires_at > now() RETURNING account_id`,
  );
  if (!row) throw new AppError("unauthorized", expiredMessage);
  const accountId = BigInt(row.account_id);
  const session = await createSession(tx, accountId, input.sessionTtlSeconds, { ...input, factor });
  await recordLogin(tx, accountId, { ...input, factor, succeeded: true });
  return { state: "signed_in", account: await getAccount(tx, accountId), token: session.token, expiresAt: session.expiresAt.toISOString() };
}

export async function completeSecondFactor(
  db: Drizzle,
  ring: MasterKeyRing,
  throttle: AttemptThrottle,
  input: { pendingToken: string; code?: string; recoveryCode?: string; sessionTtlSeconds: number } & SessionOrigin,
): Promise<SignInResult> {
  const accountId = await pendingSignInAccount(db, input.pendingToken);
  const attempt = await throttle.take(secondFactorKeys(accountId, input.clientAddress));
  const factor: SessionFactor = input.code !== undefined ? "totp" : "recovery_code";
  const result = await db.transaction(async (tx) => {
    const accepted =
      input.code !== undefined
        ? (await checkTotpCode(tx, ring, accountId, input.code, true)) === "accepted"
        : await spendRecoveryCode(tx, accountId, input.recoveryCode ?? "");
    return accepted ? finishPendingSignIn(tx, input.pendingToken, factor, input) : undefined;
  });
  if (!result) {
    await recordLogin(db, accountId, { ...input, factor, succeeded: false });
    throw new AppError(
      "invalid_credentials",
      factor === "totp"
        ? "The code is wrong or was used already: wait for the next code in your authenticator app."
        : "The recovery code is wrong or was used already.",
    );
  }
  await attempt.refund();
  return result;
}
