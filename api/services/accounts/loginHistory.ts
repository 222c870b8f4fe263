// Login history: every sign-in attempt on a known account (a wrong password, a wrong or
// replayed code, a success), with the factor it used and where it came from, so the owner can
// spot a sign-in that was not theirs. Attempts on emails without an account are not kept:
// there is no owner to show them to (the throttle still counts them).
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type LoginFactor = "password" | "totp" | "recovery_code" | "passkey" | "password_reset";

export type LoginAttempt = { factor: LoginFactor; succeeded: boolean; clientAddress?: string; userAgent?: string };

export type LoginHistoryEntry = { id: string; at: string; clientAddress: string | null; userAgent: string | null; factor: LoginFactor; succeeded: boolean };

// Stryker disable all: reads and writes the database; covered by test/api/accountSecurity.test.ts.
export async function recordLogin(db: Drizzle, accountId: bigint, attempt: LoginAttempt): Promise<void> {
  await db.execute(
    sql`INSERT INTO login_history (account_id, client_address, user_agent, factor, succeeded)
        VALUES (${accountId}, ${attempt.clientAddress ?? null}, ${attempt.userAgent?.slice(0, 256) ?? null}, ${attempt.factor}, ${attempt.succeeded})`,
  );
}

/** A wrong password for an email that has an account goes into that account's history. */
export async function recordFailedPassword(db: Drizzle, email: string, attempt: Omit<LoginAttempt, "factor" | "succeeded">): Promise<void> {
  await db.execute(
    sql`INSERT INTO login_history (account_id, client_address, user_agent, factor, succeeded)
        SELECT id, ${attempt.clientAddress ?? null}, ${attempt.userAgent?.slice(0, 256) ?? null}, 'password', false FROM accounts WHERE email = ${email}`,
  );
}

/** Newest first; `beforeId` is the sort key of the page's cursor. */
export async function listLoginHistory(
  db: Drizzle,
  accountId: bigint,
  page: { beforeId?: bigint; limit: number },
): Promise<{ items: LoginHistoryEntry[]; nextBeforeId: bigint | null }> {
  const rows = await queryRows<{ id: bigint; at: Date; client_address: string | null; user_agent: string | null; factor: LoginFactor; succeeded: boolean }>(
    db,
    sql`SELECT id, at, client_address, user_agent, factor, succeeded FROM login_history
        WHERE account_id = ${accountId} ${page.beforeId === undefined ? sql`` : sql`AND id < ${page.beforeId}`}
        ORDER BY id DESC LIMIT ${page.limit + 1}`,
  );
  const items = rows.slice(0, page.limit).map((row) => ({
    id: String(row.id),
    at: new Date(row.at).toISOString(),
    clientAddress: row.client_address,
    userAgent: row.user_agent,
    factor: row.factor,
    succeeded: row.succeeded,
  }));
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  return { items, nextBeforeId: last ? BigInt(last.id) : null };
}
