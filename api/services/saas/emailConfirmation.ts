// A merchant confirms the email before opening a shop (docs/saas.md, "Onboarding"). The token is
// 32 random bytes, only its SHA-256 is stored (as password reset tokens are), it expires
// (EMAIL_CONFIRMATION_TTL_SECONDS) and works once; asking again spends the earlier open ones.
import { randomBytes } from "node:crypto";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";
import { hashToken } from "../accounts/sessions.ts";

export type ConfirmationToIssue = { email: string; locale: "zh-CN" | "en"; token: string } | undefined;

/** A fresh confirmation token for the account, or undefined when its email is confirmed already. */
export async function createEmailConfirmation(db: Drizzle, accountId: bigint, ttlSeconds: number): Promise<ConfirmationToIssue> {
  return db.transaction(async (tx) => {
    const account = await queryOne<{ email: string; locale: "zh-CN" | "en"; email_confirmed_at: Date | null }>(
      tx,
      sql`SELECT email, locale, email_confirmed_at FROM accounts WHERE id = ${accountId} FOR UPDATE`,
    );
    if (!account) throw new AppError("not_found", `No account ${accountId}.`);
    if (account.email_confirmed_at) return undefined;
    await tx.execute(sql`UPDATE email_confirmations SET used_at = now() WHERE account_id = ${accountId} AND used_at IS NULL`);
    const token = randomBytes(32).toString("base64url");
    await tx.execute(
      sql`INSERT INTO email_confirmations (token_hash, account_id, expires_at)
          VALUES (${hashToken(token)}, ${accountId}, now() + make_interval(secs => ${ttlSeconds}))`,
    );
    return { email: account.email, locale: account.locale, token };
  });
}

/** Spends the token and marks its account's email confirmed; a wrong, used or expired token: 410 confirmation_invalid. */
export async function confirmEmail(db: Drizzle, token: string): Promise<{ accountId: string; emailConfirmedAt: string }> {
  return db.transaction(async (tx) => {
    const row = await queryOne<{ account_id: bigint }>(
      tx,
      sql`UPDATE email_confirmations SET used_at = now()
          WHERE token_hash = ${hashToken(token)} AND used_at IS NULL AND expires_at > now()
          RETURNING account_id`,
    );
    if (!row) throw new AppError("confirmation_invalid", "This confirmation link is wrong, used or expired: ask for a new one from your account.");
    const accountId = BigInt(row.account_id);
    const confirmed = await queryOne<{ email_confirmed_at: Date }>(
      tx,
      sql`UPDATE accounts SET email_confirmed_at = coalesce(email_confirmed_at, now()) WHERE id = ${accountId} RETURNING email_confirmed_at`,
    );
    await recordAudit(tx, { accountId, action: "account.email_confirmed", subject: `account:${accountId}` });
    return { accountId: String(accountId), emailConfirmedAt: new Date(confirmed!.email_confirmed_at).toISOString() };
  });
}

/** Before a self-service merchant's shop opens: the email must be confirmed (403 email_unconfirmed). Admins are exempt. */
export async function assertEmailConfirmed(db: Drizzle, accountId: bigint): Promise<void> {
  const row = await queryOne<{ confirmed: boolean; is_admin: boolean }>(
    db,
    sql`SELECT email_confirmed_at IS NOT NULL AS confirmed, 'admin' = ANY(roles) AS is_admin FROM accounts WHERE id = ${accountId}`,
  );
  if (!row || row.confirmed || row.is_admin) return;
  throw new AppError("email_unconfirmed", "Confirm your email first: open the link we mailed you (POST /api/account/email-confirmation sends a new one).");
}
