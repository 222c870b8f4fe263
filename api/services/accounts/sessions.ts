import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt } from "drizzle-orm";
import type { Drizzle } from "../../../core/store/database.ts";
import { accounts, sessions } from "../../../core/store/schema/core.ts";
import type { Role } from "../../../core/roles.ts";

/** The account behind a valid session token, as the HTTP layer hands it to routes. */
export type AuthenticatedAccount = { id: bigint; email: string; roles: Role[]; tokenHash: Buffer };

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

// Stryker disable all: the rest reads and writes the database; the HTTP suites (test/api)
// cover it, the mutation run's tests are pure (docs/testing.md).
export async function createSession(db: Drizzle, accountId: bigint, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await db.insert(sessions).values({ tokenHash: hashToken(token), accountId, expiresAt });
  return { token, expiresAt };
}

export async function resolveSession(db: Drizzle, token: string): Promise<AuthenticatedAccount | undefined> {
  const tokenHash = hashToken(token);
  const [row] = await db
    .select({ id: accounts.id, email: accounts.email, roles: accounts.roles })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, new Date())));
  return row ? { id: BigInt(row.id), email: row.email, roles: row.roles as Role[], tokenHash } : undefined;
}

export async function revokeSession(db: Drizzle, tokenHash: Buffer): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}
