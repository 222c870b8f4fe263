import { createHash, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { queryPreparedOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { sessions } from "../../../core/store/schema/core.ts";
import type { Role } from "../../../core/roles.ts";

/** How a session was opened: the factor that finished the sign-in. */
export type SessionFactor = "password" | "totp" | "recovery_code" | "passkey";

// Roles that hold other people's data or the platform's money: they count only in a session
// opened with a second factor (a TOTP code, a recovery code or a passkey), docs/accounts.md.
export const staffRoles: readonly Role[] = ["admin", "auditor"];

/** The account behind a valid session token, as the HTTP layer hands it to routes. */
export type AuthenticatedAccount = {
  id: bigint;
  email: string;
  /** The roles this session may use. */
  roles: Role[];
  /** Staff roles the account holds that this session may not use: it was opened without a second factor. */
  withheldRoles: Role[];
  factor: SessionFactor;
  sessionId: bigint;
  tokenHash: Buffer;
};

export type SessionOrigin = { clientAddress?: string; userAgent?: string };

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** The roles a session opened with `factor` may use, and those it must leave aside. */
export function sessionRoles(held: Role[], factor: SessionFactor): { roles: Role[]; withheldRoles: Role[] } {
  if (factor !== "password") return { roles: held, withheldRoles: [] };
  return { roles: held.filter((role) => !staffRoles.includes(role)), withheldRoles: held.filter((role) => staffRoles.includes(role)) };
}

// Stryker disable all: the rest reads and writes the database; the HTTP suites (test/api)
// cover it, the mutation run's tests are pure (docs/testing.md).
export async function createSession(
  db: Drizzle,
  accountId: bigint,
  ttlSeconds: number,
  options: { factor?: SessionFactor; stage?: "second_factor" | "complete" } & SessionOrigin = {},
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await db.insert(sessions).values({
    tokenHash: hashToken(token),
    accountId,
    expiresAt,
    factor: options.factor ?? "password",
    stage: options.stage ?? "complete",
    clientAddress: options.clientAddress ?? null,
    userAgent: options.userAgent?.slice(0, 256) ?? null,
  });
  return { token, expiresAt };
}

/**
 * The session behind a token, read on every signed-in request: one prepared statement (parsed and
 * planned once per pooled connection), never a cached answer, so a session revoked or logged out
 * is refused on the very next request, in any API process.
 */
export async function resolveSession(db: Drizzle, token: string): Promise<AuthenticatedAccount | undefined> {
  const tokenHash = hashToken(token);
  const row = await queryPreparedOne<{ id: bigint; email: string; roles: Role[]; factor: SessionFactor; session_id: bigint }>(
    db,
    "resolve_session",
    sql`SELECT a.id, a.email, a.roles, s.factor, s.id AS session_id FROM sessions s JOIN accounts a ON a.id = s.account_id
        WHERE s.token_hash = ${tokenHash} AND s.stage = 'complete' AND s.expires_at > now()`,
  );
  if (!row) return undefined;
  const factor = row.factor;
  return { id: BigInt(row.id), email: row.email, ...sessionRoles(row.roles, factor), factor, sessionId: BigInt(row.session_id), tokenHash };
}

export async function revokeSession(db: Drizzle, tokenHash: Buffer): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

/** Raises a session's factor once the account has shown a second factor in it (TOTP enrolment). */
export async function raiseSessionFactor(db: Drizzle, tokenHash: Buffer, factor: SessionFactor): Promise<void> {
  await db.update(sessions).set({ factor }).where(eq(sessions.tokenHash, tokenHash));
}

export type SessionView = {
  id: string;
  createdAt: string;
  expiresAt: string;
  factor: SessionFactor;
  clientAddress: string | null;
  userAgent: string | null;
  current: boolean;
};

// An account holds few sessions at once (each sign-in makes one, each expires); the list is
// bounded anyway so a script that signs in in a loop cannot make it unbounded.
const sessionsListedMax = 100;

export async function listSessions(db: Drizzle, account: AuthenticatedAccount): Promise<SessionView[]> {
  const rows = await queryRows<{
    id: bigint;
    created_at: Date;
    expires_at: Date;
    factor: SessionFactor;
    client_address: string | null;
    user_agent: string | null;
  }>(
    db,
    sql`SELECT id, created_at, expires_at, factor, client_address, user_agent FROM sessions
        WHERE account_id = ${account.id} AND stage = 'complete' AND expires_at > now()
        ORDER BY id DESC LIMIT ${sessionsListedMax}`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    factor: row.factor,
    clientAddress: row.client_address,
    userAgent: row.user_agent,
    current: BigInt(row.id) === account.sessionId,
  }));
}

/** Revokes one of the account's own sessions; another account's session id is "not found". */
export async function revokeSessionById(db: Drizzle, accountId: bigint, sessionId: bigint): Promise<boolean> {
  const rows = await queryRows<{ id: bigint }>(db, sql`DELETE FROM sessions WHERE id = ${sessionId} AND account_id = ${accountId} RETURNING id`);
  return rows.length > 0;
}

export async function revokeAllSessions(db: Drizzle, accountId: bigint): Promise<number> {
  const rows = await queryRows<{ id: bigint }>(db, sql`DELETE FROM sessions WHERE account_id = ${accountId} RETURNING id`);
  return rows.length;
}
