import { createHash, randomBytes } from "node:crypto";
import { queryOne, sql, type Drizzle } from "../../store/database.ts";
import type { AuthenticatedAccount, Role } from "../../http/auth.ts";

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

export async function createSession(db: Drizzle, accountId: bigint, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await db.execute(
    sql`INSERT INTO sessions (token_hash, account_id, expires_at) VALUES (${hashToken(token)}, ${accountId}, ${expiresAt})`,
  );
  return { token, expiresAt };
}

export async function resolveSession(db: Drizzle, token: string): Promise<AuthenticatedAccount | undefined> {
  const tokenHash = hashToken(token);
  const row = await queryOne<{ id: bigint; email: string; roles: Role[] }>(
    db,
    sql`SELECT a.id, a.email, a.roles FROM sessions s JOIN accounts a ON a.id = s.account_id
        WHERE s.token_hash = ${tokenHash} AND s.expires_at > now()`,
  );
  return row ? { id: BigInt(row.id), email: row.email, roles: row.roles, tokenHash } : undefined;
}

export async function revokeSession(db: Drizzle, tokenHash: Buffer): Promise<void> {
  await db.execute(sql`DELETE FROM sessions WHERE token_hash = ${tokenHash}`);
}
