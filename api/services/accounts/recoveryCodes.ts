// Recovery codes: ten single-use codes, shown once when TOTP is turned on (or the set is
// renewed), each 80 random bits written as four groups of four base32 letters. Only their
// SHA-256 is stored: a random secret of 80 bits needs no slow hash, as with session tokens.
import { createHash, randomBytes } from "node:crypto";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export const recoveryCodeCount = 10;
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function hashRecoveryCode(code: string): Buffer {
  return createHash("sha256").update(normaliseRecoveryCode(code)).digest();
}

/** Upper case without separators or spaces, so "abcd-efgh …" and "ABCDEFGH…" are the same code. */
export function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z2-7]/g, "");
}

function newRecoveryCode(): string {
  const bytes = randomBytes(16);
  // 16 letters of 5 bits each from 16 random bytes (each byte's low 5 bits): 80 bits.
  const letters = [...bytes].map((byte) => alphabet[byte & 31]).join("");
  return letters.match(/.{4}/g)!.join("-");
}

/** Replaces the account's codes with ten new ones and returns them (the only time they are shown). */
export async function replaceRecoveryCodes(tx: Drizzle, accountId: bigint): Promise<string[]> {
  const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
  await deleteRecoveryCodes(tx, accountId);
  for (const code of codes) {
    await tx.execute(sql`INSERT INTO recovery_codes (account_id, code_hash) VALUES (${accountId}, ${hashRecoveryCode(code)})`);
  }
  return codes;
}

/** Spends a code: true once per code, false for a wrong or used one. */
export async function spendRecoveryCode(tx: Drizzle, accountId: bigint, code: string): Promise<boolean> {
  const row = await queryOne<{ account_id: bigint }>(
    tx,
    sql`UPDATE recovery_codes SET used_at = now()
        WHERE account_id = ${accountId} AND code_hash = ${hashRecoveryCode(code)} AND used_at IS NULL
        RETURNING account_id`,
  );
  return row !== undefined;
}

export async function recoveryCodesLeft(db: Drizzle, accountId: bigint): Promise<number> {
  const row = await queryOne<{ left: number }>(db, sql`SELECT count(*)::int AS left FROM recovery_codes WHERE account_id = ${accountId} AND used_at IS NULL`);
  return row?.left ?? 0;
}

export async function deleteRecoveryCodes(tx: Drizzle, accountId: bigint): Promise<void> {
  await tx.execute(sql`DELETE FROM recovery_codes WHERE account_id = ${accountId}`);
}
