// Passkeys (WebAuthn, verified by @simplewebauthn/server): a second factor after the password,
// or a sign-in without a password (a discoverable credential with user verification).
//
// The relying party is the configured public origin (PUBLIC_URL): its host is the RP ID and
// its origin the only expected origin, never the request's Host header, so a page on another
// host cannot have an assertion accepted. Challenges are kept server-side, expire
// (WEBAUTHN_CHALLENGE_TTL_SECONDS) and are deleted when a response names them, so each
// works once, right or wrong.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";
import { getAccount } from "./accounts.ts";
import { recordLogin } from "./loginHistory.ts";
import { finishPendingSignIn, pendingSignInAccount } from "./secondFactor.ts";
import { createSession, raiseSessionFactor, type AuthenticatedAccount, type SessionOrigin } from "./sessions.ts";
import type { SignInResult } from "./signIn.ts";

export type RelyingParty = { id: string; origin: string; name: string };

/** The relying party from the configured public URL (never from a request). */
export function relyingPartyOf(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name: "Keyledger" };
}

export type PasskeyDeps = { db: Drizzle; rp: RelyingParty; challengeTtlSeconds: number; sessionTtlSeconds: number };

export type PasskeyView = { id: string; name: string; createdAt: string; lastUsedAt: string | null };

type PasskeyRow = {
  id: bigint;
  account_id: bigint;
  credential_id: string;
  public_key: Buffer;
  sign_count: string;
  transports: string[];
  name: string;
  created_at: Date;
  last_used_at: Date | null;
};

// An account needs a few passkeys (a phone, a laptop, a security key), not hundreds.
const passkeysPerAccountMax = 20;

async function storeChallenge(
  db: Drizzle,
  challenge: string,
  purpose: "registration" | "authentication",
  accountId: bigint | null,
  ttlSeconds: number,
): Promise<void> {
  // Expired challenges are cleared as new ones are made, so the table stays small.
  await db.execute(sql`DELETE FROM webauthn_challenges WHERE expires_at < now()`);
  await db.execute(
    sql`INSERT INTO webauthn_challenges (challenge, purpose, account_id, expires_at)
        VALUES (${challenge}, ${purpose}, ${accountId}, now() + make_interval(secs => ${ttlSeconds}))`,
  );
}

/** Takes the challenge a response answers: once, before it expires, for this purpose. */
async function takeChallenge(
  db: Drizzle,
  clientDataJSON: string,
  purpose: "registration" | "authentication",
): Promise<{ challenge: string; accountId: bigint | null }> {
  let challenge: unknown;
  try {
    challenge = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")).challenge;
  } catch {
    challenge = undefined;
  }
  if (typeof challenge !== "string" || challenge.length > 256)
    throw new AppError("bad_request", "response.clientDataJSON must be the authenticator's client data (base64url JSON with a challenge).");
  const row = await queryOne<{ account_id: bigint | null }>(
    db,
    sql`DELETE FROM webauthn_challenges WHERE challenge = ${challenge} AND purpose = ${purpose} AND expires_at > now() RETURNING account_id`,
  );
  if (!row) throw new AppError("invalid_credentials", "This passkey challenge is unknown, used or expired: start again.");
  return { challenge, accountId: row.account_id === null ? null : BigInt(row.account_id) };
}

function passkeyView(row: PasskeyRow): PasskeyView {
  return {
    id: String(row.id),
    name: row.name,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
  };
}

async function passkeyRows(db: Drizzle, accountId: bigint): Promise<PasskeyRow[]> {
  return queryRows<PasskeyRow>(db, sql`SELECT * FROM passkeys WHERE account_id = ${accountId} ORDER BY id LIMIT ${passkeysPerAccountMax}`);
}

export async function listPasskeys(db: Drizzle, accountId: bigint): Promise<PasskeyView[]> {
  return (await passkeyRows(db, accountId)).map(passkeyView);
}

export async function passkeyRegistrationOptions(deps: PasskeyDeps, account: AuthenticatedAccount): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await passkeyRows(deps.db, account.id);
  if (existing.length >= passkeysPerAccountMax) throw new AppError("conflict", `An account holds at most ${passkeysPerAccountMax} passkeys: remove one first.`);
  const options = await generateRegistrationOptions({
    rpName: deps.rp.name,
    rpID: deps.rp.id,
    userName: account.email,
    userID: new TextEncoder().encode(`keyledger-account-${account.id}`),
    attestationType: "none",
    excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: row.transports })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
    timeout: deps.challengeTtlSeconds * 1000,
  });
  await storeChallenge(deps.db, options.challenge, "registration", account.id, deps.challengeTtlSeconds);
  return options;
}

export async function registerPasskey(
  deps: PasskeyDeps,
  account: AuthenticatedAccount,
  input: { name: string; response: RegistrationResponseJSON },
): Promise<PasskeyView> {
  const { challenge, accountId } = await takeChallenge(deps.db, input.response.response.clientDataJSON, "registration");
  if (accountId !== account.id) throw new AppError("invalid_credentials", "This passkey challenge belongs to another sign-in: start again.");
  const verification = await verifyOrRefuse(() =>
    verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: deps.rp.origin,
      expectedRPID: deps.rp.id,
      requireUserVerification: false,
    }),
  );
  if (!verification.verified) throw new AppError("invalid_credentials", "The passkey's registration did not verify.");
  const { credential } = verification.registrationInfo;
  const view = await deps.db.transaction(async (tx) => {
    const row = await queryOne<PasskeyRow>(
      tx,
      sql`INSERT INTO passkeys (account_id, credential_id, public_key, sign_count, transports, name)
          VALUES (${account.id}, ${credential.id}, ${Buffer.from(credential.publicKey)}, ${credential.counter},
                  ${sql.raw(textArray(credential.transports ?? []))}, ${input.name})
          ON CONFLICT (credential_id) DO NOTHING RETURNING *`,
    );
    if (!row) throw new AppError("conflict", "This passkey is registered already.");
    await recordAudit(tx, { accountId: account.id, action: "account.passkey_added", subject: `account:${account.id}`, details: { passkeyId: String(row.id) } });
    return passkeyView(row);
  });
  // The ceremony just proved the authenticator in this session.
  await raiseSessionFactor(deps.db, account.tokenHash, "passkey");
  return view;
}

export async function removePasskey(db: Drizzle, account: AuthenticatedAccount, passkeyId: bigint): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await queryOne<{ id: bigint }>(tx, sql`DELETE FROM passkeys WHERE id = ${passkeyId} AND account_id = ${account.id} RETURNING id`);
    if (!row) throw new AppError("not_found", "No such passkey on this account.");
    await recordAudit(tx, {
      accountId: account.id,
      action: "account.passkey_removed",
      subject: `account:${account.id}`,
      details: { passkeyId: String(passkeyId) },
    });
  });
}

/** Options for a sign-in: with a pending token, the account's passkeys; without, any discoverable one. */
export async function passkeySignInOptions(deps: PasskeyDeps, pendingToken: string | undefined): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const accountId = pendingToken === undefined ? null : await pendingSignInAccount(deps.db, pendingToken);
  const allowed = accountId === null ? [] : await passkeyRows(deps.db, accountId);
  const options = await generateAuthenticationOptions({
    rpID: deps.rp.id,
    allowCredentials: allowed.map((row) => ({ id: row.credential_id, transports: row.transports })),
    // Without a password the passkey is the only factor: it must verify its user (PIN, biometrics).
    userVerification: accountId === null ? "required" : "preferred",
    timeout: deps.challengeTtlSeconds * 1000,
  });
  await storeChallenge(deps.db, options.challenge, "authentication", accountId, deps.challengeTtlSeconds);
  return options;
}

export async function signInWithPasskey(
  deps: PasskeyDeps,
  input: { response: AuthenticationResponseJSON; pendingToken?: string } & SessionOrigin,
): Promise<SignInResult> {
  const { challenge, accountId } = await takeChallenge(deps.db, input.response.response.clientDataJSON, "authentication");
  const row = await queryOne<PasskeyRow>(deps.db, sql`SELECT * FROM passkeys WHERE credential_id = ${input.response.id}`);
  const pendingAccount = input.pendingToken === undefined ? null : await pendingSignInAccount(deps.db, input.pendingToken);
  // The challenge was issued for this pending sign-in (or for a password-less one), and the
  // passkey must belong to the account signing in.
  if (!row || accountId !== pendingAccount || (pendingAccount !== null && BigInt(row.account_id) !== pendingAccount)) {
    if (row) await recordLogin(deps.db, BigInt(row.account_id), { ...input, factor: "passkey", succeeded: false });
    throw new AppError("invalid_credentials", "This passkey is not registered for this sign-in.");
  }
  const verification = await verifyOrRefuse(() =>
    verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: deps.rp.origin,
      expectedRPID: deps.rp.id,
      credential: { id: row.credential_id, publicKey: new Uint8Array(row.public_key), counter: Number(row.sign_count), transports: row.transports },
      requireUserVerification: pendingAccount === null,
    }),
  );
  const ownerId = BigInt(row.account_id);
  if (!verification.verified) {
    await recordLogin(deps.db, ownerId, { ...input, factor: "passkey", succeeded: false });
    throw new AppError("invalid_credentials", "The passkey's signature did not verify.");
  }
  return deps.db.transaction(async (tx) => {
    await tx.execute(sql`UPDATE passkeys SET sign_count = ${verification.authenticationInfo.newCounter}, last_used_at = now() WHERE id = ${row.id}`);
    if (input.pendingToken !== undefined)
      return finishPendingSignIn(tx, input.pendingToken, "passkey", { ...input, sessionTtlSeconds: deps.sessionTtlSeconds });
    const session = await createSession(tx, ownerId, deps.sessionTtlSeconds, { ...input, factor: "passkey" });
    await recordLogin(tx, ownerId, { ...input, factor: "passkey", succeeded: true });
    return { state: "signed_in", account: await getAccount(tx, ownerId), token: session.token, expiresAt: session.expiresAt.toISOString() };
  });
}

/** simplewebauthn throws on a malformed or mismatched response: that is the caller's error, a 401. */
async function verifyOrRefuse<T>(verify: () => Promise<T>): Promise<T> {
  try {
    return await verify();
  } catch (error) {
    throw new AppError("invalid_credentials", `The passkey's answer was refused: ${error instanceof Error ? error.message : "unreadable"}.`, { cause: error });
  }
}

// Transports come from the authenticator ("usb", "internal", "hybrid", ...): kept to letters.
function textArray(values: string[]): string {
  const safe = values
    .map((value) => value.replace(/[^a-z-]/g, ""))
    .filter(Boolean)
    .slice(0, 8);
  return `ARRAY[${safe.map((value) => `'${value}'`).join(",")}]::text[]`;
}
