// Accounts: email + password (argon2id). Self sign-up may take the buyer, merchant or reseller
// role; auditor and admin are granted by an admin (or the seed), never self-assigned.
import { hash, verify } from "@node-rs/argon2";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { Role } from "../../../core/roles.ts";

// OWASP's argon2id baseline (19 MiB, 2 iterations, 1 lane): docs/accounts.md, "Passwords".
export const argonOptions = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

// Verifying against this hash when the email is unknown keeps the response time the same,
// so the login endpoint does not reveal which emails have accounts.
let dummyHash: string | undefined;

export type AccountView = { id: string; email: string; roles: Role[]; displayName: string | null; createdAt: string };

type AccountRow = { id: bigint; email: string; roles: Role[]; display_name: string | null; created_at: Date; password_hash: string };

export function accountView(row: Omit<AccountRow, "password_hash">): AccountView {
  return { id: String(row.id), email: row.email, roles: row.roles, displayName: row.display_name, createdAt: new Date(row.created_at).toISOString() };
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, argonOptions);
}

export type AccountLocale = "zh-CN" | "en";

export async function createAccount(
  db: Drizzle,
  input: { email: string; password: string; roles: Role[]; displayName?: string; locale?: AccountLocale },
): Promise<AccountView> {
  const email = input.email.trim().toLowerCase();
  const passwordHash = await hashPassword(input.password);
  const row = await queryOne<AccountRow>(
    db,
    sql`INSERT INTO accounts (email, password_hash, roles, display_name, locale)
        VALUES (${email}, ${passwordHash}, ${sql.raw(rolesArray(input.roles))}, ${input.displayName ?? null}, ${input.locale ?? "zh-CN"})
        ON CONFLICT (email) DO NOTHING
        RETURNING id, email, roles, display_name, created_at`,
  );
  if (!row) throw new AppError("email_taken", "An account with this email exists already. Sign in instead.");
  return accountView(row);
}

export async function authenticate(db: Drizzle, emailInput: string, password: string): Promise<AccountView> {
  const email = emailInput.trim().toLowerCase();
  const row = await queryOne<AccountRow>(db, sql`SELECT id, email, roles, display_name, created_at, password_hash FROM accounts WHERE email = ${email}`);
  if (!row) {
    dummyHash ??= await hash("keyledger-dummy-password", argonOptions);
    await verify(dummyHash, password);
    throw new AppError("invalid_credentials", "Email or password is wrong.");
  }
  if (!(await verify(row.password_hash, password))) throw new AppError("invalid_credentials", "Email or password is wrong.");
  return accountView(row);
}

export async function getAccount(db: Drizzle, id: bigint): Promise<AccountView> {
  const row = await queryOne<AccountRow>(db, sql`SELECT id, email, roles, display_name, created_at FROM accounts WHERE id = ${id}`);
  if (!row) throw new AppError("not_found", "No such account.");
  return accountView(row);
}

export async function grantRoles(db: Drizzle, id: bigint, roles: Role[]): Promise<AccountView> {
  const row = await queryOne<AccountRow>(
    db,
    sql`UPDATE accounts SET roles = ARRAY(SELECT DISTINCT unnest(roles || ${sql.raw(rolesArray(roles))}) ORDER BY 1)
        WHERE id = ${id} RETURNING id, email, roles, display_name, created_at`,
  );
  if (!row) throw new AppError("not_found", "No such account.");
  return accountView(row);
}

// Roles come from a closed zod enum before they reach here; quoting is still explicit.
function rolesArray(roles: Role[]): string {
  return `ARRAY[${roles.map((role) => `'${role.replace(/[^a-z]/g, "")}'`).join(",")}]::text[]`;
}
