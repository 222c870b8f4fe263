// Sign-in with email and password behind the guessing throttle
// (api/services/throttles/attemptThrottle.ts): each attempt takes its points before the
// password is verified, under three rules taken in this order, as the guest look-up does:
//   accountClient  per account and client address: the tight limit, so one client's wrong
//                  passwords lock out that client only;
//   client         per client address over all accounts: bounds credential stuffing;
//   account        per account from all clients: bounds a guesser spread over many addresses.
// The account key is the email as typed (normalised), known or not, so the throttle answers
// alike for accounts that exist and those that do not.
//
// A right password ends in one of three states (docs/accounts.md):
//   signed_in               a session; the account has no second factor and needs none;
//   enrolment_required      a session whose staff roles (admin, auditor) are withheld until
//                           the account enrols a second factor;
//   second_factor_required  no session yet: a short-lived pending token that
//                           POST /api/auth/second-factor (TOTP or recovery code) or the passkey
//                           ceremony turns into a session.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { AttemptThrottle, ThrottleRule } from "../throttles/attemptThrottle.ts";
import { authenticate, type AccountView } from "./accounts.ts";
import { recordFailedPassword, recordLogin } from "./loginHistory.ts";
import { createSession, staffRoles, type SessionOrigin } from "./sessions.ts";

export type LoginThrottleSettings = {
  attemptsPerAccountAndClientMax: number;
  attemptsPerAccountMax: number;
  attemptsPerClientMax: number;
  windowSeconds: number;
};

// Long enough to open an authenticator app or touch a key, short enough that a stolen
// pending token is of little use (it still needs the second factor).
export const pendingSignInTtlSeconds = 5 * 60;

export type SecondFactorKind = "totp" | "recovery_code" | "passkey";

export type SignInResult =
  | { state: "signed_in" | "enrolment_required"; account: AccountView; token: string; expiresAt: string }
  | { state: "second_factor_required"; pendingToken: string; expiresAt: string; factors: SecondFactorKind[] };

export function loginThrottleRules(settings: LoginThrottleSettings): ThrottleRule[] {
  return [
    { name: "accountClient", points: settings.attemptsPerAccountAndClientMax, windowSeconds: settings.windowSeconds },
    { name: "client", points: settings.attemptsPerClientMax, windowSeconds: settings.windowSeconds },
    { name: "account", points: settings.attemptsPerAccountMax, windowSeconds: settings.windowSeconds },
  ];
}

/** The throttle's key per rule for a sign-in attempt (the captcha gate reads the same counts). */
export function loginAttemptKeys(emailInput: string, clientAddress: string): { accountClient: string; account: string; client: string } {
  const email = emailInput.trim().toLowerCase();
  return { accountClient: `${email}|${clientAddress}`, account: email, client: clientAddress };
}

export async function signIn(
  db: Drizzle,
  throttle: AttemptThrottle,
  input: { email: string; password: string; sessionTtlSeconds: number } & SessionOrigin,
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase();
  const clientAddress = input.clientAddress ?? "unknown";
  const attempt = await throttle.take(loginAttemptKeys(email, clientAddress));
  let account: AccountView;
  try {
    account = await authenticate(db, email, input.password);
  } catch (error) {
    if (error instanceof AppError && error.code === "invalid_credentials") await recordFailedPassword(db, email, input);
    throw error;
  }
  await attempt.refund();
  const accountId = BigInt(account.id);
  const factors = await secondFactorsOf(db, accountId);
  if (factors.length > 0) {
    const pending = await createSession(db, accountId, pendingSignInTtlSeconds, { ...input, stage: "second_factor" });
    return { state: "second_factor_required", pendingToken: pending.token, expiresAt: pending.expiresAt.toISOString(), factors };
  }
  const session = await createSession(db, accountId, input.sessionTtlSeconds, input);
  await recordLogin(db, accountId, { ...input, factor: "password", succeeded: true });
  const state = account.roles.some((role) => staffRoles.includes(role)) ? "enrolment_required" : "signed_in";
  return { state, account, token: session.token, expiresAt: session.expiresAt.toISOString() };
}

/** The second factors an account has enrolled (recovery codes come with TOTP). */
export async function secondFactorsOf(db: Drizzle, accountId: bigint): Promise<SecondFactorKind[]> {
  const row = await queryOne<{ totp: boolean; passkey: boolean }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM account_totp WHERE account_id = ${accountId} AND confirmed_at IS NOT NULL) AS totp,
               EXISTS (SELECT 1 FROM passkeys WHERE account_id = ${accountId}) AS passkey`,
  );
  const factors: SecondFactorKind[] = [];
  if (row?.totp) factors.push("totp", "recovery_code");
  if (row?.passkey) factors.push("passkey");
  return factors;
}
