// TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps) as a second factor, through `otpauth`.
// The secret is encrypted at rest under its own data key, wrapped under the master key
// (api/keys/envelope.ts), with associated data that binds it to its account, so a secret
// copied onto another account's row fails to decrypt.
//
// A code is accepted for its own step and one step either side (clock drift of up to 30 s),
// and only if its step is later than the last step accepted for the account: a code that has
// been used once is refused for the rest of its window (replay), and so is any older one.
// The check and the update of last_step happen under the row's lock, so two requests with
// the same code cannot both pass.
import { Secret, TOTP } from "otpauth";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { createShopDataKey, decryptSecret, encryptSecret, unwrapDataKey } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";

const issuer = "Keyledger";
const periodSeconds = 30;
const digits = 6;
// Steps either side of now that a code may come from (RFC 6238 section 5.2 recommends one).
const driftStepsMax = 1;
const secretBytes = 20;

export type TotpEnrolment = { secret: string; otpauthUri: string };

type TotpRow = { secret_encrypted: Buffer; data_key_wrapped: Buffer; master_key_id: string; confirmed_at: Date | null; last_step: string | null };

function totpAad(accountId: bigint): string {
  return `keyledger/totp/v1|account=${accountId}`;
}

function totpFor(secretBase32: string, email: string): TOTP {
  return new TOTP({ issuer, label: email, algorithm: "SHA1", digits, period: periodSeconds, secret: Secret.fromBase32(secretBase32) });
}

/** Starts (or restarts) an enrolment: a fresh secret, stored unconfirmed until a code is shown. */
export async function beginTotpEnrolment(db: Drizzle, ring: MasterKeyRing, account: { id: bigint; email: string }): Promise<TotpEnrolment> {
  const secret = new Secret({ size: secretBytes }).base32;
  const { dataKeyWrapped, masterKeyId } = createShopDataKey(ring);
  const dataKey = unwrapDataKey(ring, dataKeyWrapped, masterKeyId);
  const encrypted = encryptSecret(dataKey, secret, totpAad(account.id));
  const row = await queryOne<{ account_id: bigint }>(
    db,
    sql`INSERT INTO account_totp (account_id, secret_encrypted, data_key_wrapped, master_key_id)
        VALUES (${account.id}, ${encrypted}, ${dataKeyWrapped}, ${masterKeyId})
        ON CONFLICT (account_id) DO UPDATE
          SET secret_encrypted = EXCLUDED.secret_encrypted, data_key_wrapped = EXCLUDED.data_key_wrapped,
              master_key_id = EXCLUDED.master_key_id, last_step = NULL, created_at = now()
          WHERE account_totp.confirmed_at IS NULL
        RETURNING account_id`,
  );
  if (!row) throw new AppError("conflict", "TOTP is already enabled on this account. Turn it off first to enrol a new authenticator.");
  return { secret, otpauthUri: totpFor(secret, account.email).toString() };
}

/**
 * Enrols a secret chosen elsewhere, confirmed at once: for the demo seed, whose staff accounts
 * have published secrets (scripts/lib/seedDemo.ts). Never for a real account.
 */
export async function enrolKnownTotpSecret(db: Drizzle, ring: MasterKeyRing, accountId: bigint, secretBase32: string): Promise<void> {
  const { dataKeyWrapped, masterKeyId } = createShopDataKey(ring);
  const encrypted = encryptSecret(unwrapDataKey(ring, dataKeyWrapped, masterKeyId), Secret.fromBase32(secretBase32).base32, totpAad(accountId));
  await db.execute(
    sql`INSERT INTO account_totp (account_id, secret_encrypted, data_key_wrapped, master_key_id, confirmed_at)
        VALUES (${accountId}, ${encrypted}, ${dataKeyWrapped}, ${masterKeyId}, now())`,
  );
}

export type TotpCheck = "accepted" | "wrong" | "not_enrolled";

/**
 * Checks a code against the account's secret inside the caller's transaction and, when it is
 * accepted, spends its step. `confirmed` says which secret to check: the enrolled one, or
 * the one waiting for its first code.
 */
export async function checkTotpCode(
  tx: Drizzle,
  ring: MasterKeyRing,
  accountId: bigint,
  code: string,
  confirmed: boolean,
  nowMs = Date.now(),
): Promise<TotpCheck> {
  const row = await queryOne<TotpRow>(
    tx,
    sql`SELECT secret_encrypted, data_key_wrapped, master_key_id, confirmed_at, last_step FROM account_totp
        WHERE account_id = ${accountId} FOR UPDATE`,
  );
  if (!row || (row.confirmed_at !== null) !== confirmed) return "not_enrolled";
  const dataKey = unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id);
  const secret = decryptSecret(dataKey, row.secret_encrypted, totpAad(accountId));
  const totp = new TOTP({ algorithm: "SHA1", digits, period: periodSeconds, secret: Secret.fromBase32(secret) });
  const delta = totp.validate({ token: code, timestamp: nowMs, window: driftStepsMax });
  if (delta === null) return "wrong";
  const step = totp.counter({ timestamp: nowMs }) + delta;
  if (row.last_step !== null && step <= Number(row.last_step)) return "wrong";
  await tx.execute(sql`UPDATE account_totp SET last_step = ${step}, confirmed_at = coalesce(confirmed_at, now()) WHERE account_id = ${accountId}`);
  return "accepted";
}

export async function totpEnabled(db: Drizzle, accountId: bigint): Promise<boolean> {
  const row = await queryOne<{ enabled: boolean }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM account_totp WHERE account_id = ${accountId} AND confirmed_at IS NOT NULL) AS enabled`,
  );
  return row?.enabled ?? false;
}

export async function deleteTotp(tx: Drizzle, accountId: bigint): Promise<void> {
  await tx.execute(sql`DELETE FROM account_totp WHERE account_id = ${accountId}`);
}
