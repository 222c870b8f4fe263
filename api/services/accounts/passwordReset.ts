// Password reset by mail. A request answers the same whether the email has an account or not
// (the mail, if any, is sent after the answer), so it tells nobody which emails are
// registered. The token is 32 random bytes, only its SHA-256 is stored, it expires
// (PASSWORD_RESET_TTL_SECONDS) and works once; using it sets the new password, spends every
// other open token of the account and ends all its sessions. It does not sign in: the next
// sign-in still asks for the second factor, so a mailbox alone never opens a staff account.
import { randomBytes } from "node:crypto";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";
import type { AttemptThrottle } from "../throttles/attemptThrottle.ts";
import { hashPassword } from "./accounts.ts";
import { recordLogin } from "./loginHistory.ts";
import { hashToken, revokeAllSessions, type SessionOrigin } from "./sessions.ts";

export type ResetRequest = { email: string; clientAddress: string };

/** The reset to mail, or undefined when the email has no account (the caller answers alike). */
export async function createPasswordReset(
  db: Drizzle,
  throttle: AttemptThrottle,
  input: ResetRequest & { ttlSeconds: number },
): Promise<{ email: string; locale: "zh-CN" | "en"; token: string } | undefined> {
  const email = input.email.trim().toLowerCase();
  // Counted for every request, known email or not, and never given back: it bounds the mail
  // one client can make the platform send, and the mail one mailbox can receive.
  await throttle.take({ email, client: input.clientAddress });
  const account = await queryOne<{ id: bigint; locale: "zh-CN" | "en" }>(db, sql`SELECT id, locale FROM accounts WHERE email = ${email}`);
  if (!account) return undefined;
  const token = randomBytes(32).toString("base64url");
  await db.execute(
    sql`INSERT INTO password_reset_tokens (token_hash, account_id, expires_at)
        VALUES (${hashToken(token)}, ${account.id}, now() + make_interval(secs => ${input.ttlSeconds}))`,
  );
  return { email, locale: account.locale, token };
}

export async function resetPassword(db: Drizzle, input: { token: string; password: string } & SessionOrigin): Promise<void> {
  const passwordHash = await hashPassword(input.password);
  await db.transaction(async (tx) => {
    const row = await queryOne<{ account_id: bigint }>(
      tx,
      sql`UPDATE password_reset_tokens SET used_at = now()
          WHERE token_hash = ${hashToken(input.token)} AND used_at IS NULL AND expires_at > now()
          RETURNING account_id`,
    );
    if (!row) throw new AppError("invalid_credentials", "This reset link is wrong, used or expired: ask for a new one.");
    const accountId = BigInt(row.account_id);
    await tx.execute(sql`UPDATE accounts SET password_hash = ${passwordHash} WHERE id = ${accountId}`);
    await tx.execute(sql`UPDATE password_reset_tokens SET used_at = now() WHERE account_id = ${accountId} AND used_at IS NULL`);
    const revoked = await revokeAllSessions(tx, accountId);
    await recordLogin(tx, accountId, { ...input, factor: "password_reset", succeeded: true });
    await recordAudit(tx, { accountId, action: "account.password_reset", subject: `account:${accountId}`, details: { sessionsRevoked: revoked } });
  });
}
