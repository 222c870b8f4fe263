// Staff accounts (admin, auditor) in tests, made the way a real one is used: the role is
// granted in the database (the first admin can only be made there), TOTP is enrolled over
// HTTP with a code computed by the test's own TOTP (test/support/totp.ts), and that
// confirmation lifts the session to a second-factor session, which is what staff roles need.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { sql } from "../../core/store/database.ts";
import type { HttpClient, TestPlatform } from "./platform.ts";
import { freshTotpCode } from "./totp.ts";

export type StaffAccount = { http: HttpClient; id: string; email: string; password: string; totpSecret: string; recoveryCodes: string[] };

/** Turns TOTP on for the signed-in client; answers the secret and the recovery codes. */
export async function enrolTotp(http: HttpClient): Promise<{ totpSecret: string; recoveryCodes: string[] }> {
  const started = await http.post("/api/account/security/totp");
  expect(started.status, started.text).to.equal(201);
  const totpSecret: string = started.body.secret;
  const confirmed = await http.post("/api/account/security/totp/confirm", { code: await freshTotpCode(totpSecret) });
  expect(confirmed.status, confirmed.text).to.equal(200);
  return { totpSecret, recoveryCodes: confirmed.body.recoveryCodes };
}

/** Signs in with password and TOTP; answers a client with the new session. */
export async function signInWithTotp(platform: TestPlatform, account: { email: string; password: string; totpSecret: string }): Promise<HttpClient> {
  const login = await platform.http.post("/api/auth/login", { email: account.email, password: account.password });
  expect([login.status, login.body?.state], login.text).to.deep.equal([200, "second_factor_required"]);
  const second = await platform.http.post("/api/auth/second-factor", { pendingToken: login.body.pendingToken, code: await freshTotpCode(account.totpSecret) });
  expect(second.status, second.text).to.equal(200);
  return platform.http.as(second.body.token);
}

/** Sets the account's roles in the database: staff roles can be had no other way at first. */
export async function grantRoles(platform: TestPlatform, accountId: string | bigint, roles: string[]): Promise<void> {
  await platform.database.db.execute(
    sql`UPDATE accounts SET roles = ${sql.raw(`ARRAY[${roles.map((role) => `'${role.replace(/[^a-z]/g, "")}'`).join(",")}]::text[]`)} WHERE id = ${BigInt(accountId)}`,
  );
}

/** A new account with `roles` (staff among them) and TOTP on, signed in with its second factor. */
export async function createStaffAccount(platform: TestPlatform, label: string, roles: string[]): Promise<StaffAccount> {
  const email = `${label}-${randomBytes(4).toString("hex")}@example.com`;
  const password = `${label}-password-1`;
  const signup = await platform.http.post("/api/auth/signup", { email, password });
  expect(signup.status, signup.text).to.equal(201);
  const id: string = signup.body.account.id;
  await grantRoles(platform, id, roles);
  const http = platform.http.as(signup.body.token);
  const { totpSecret, recoveryCodes } = await enrolTotp(http);
  return { http, id, email, password, totpSecret, recoveryCodes };
}
