// TOTP two-factor over real HTTP: enrolment, the second step of a sign-in, recovery codes,
// replay and drift, throttling, and the mandatory second factor of admins and auditors.
// Codes come from the test's own RFC 6238 implementation (test/support/totp.ts), checked
// here against the RFC's published vectors, never from the `otpauth` package under test.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { startTestPlatform, type HttpClient, type TestPlatform } from "../support/platform.ts";
import { createStaffAccount, enrolTotp, signInWithTotp } from "../support/staff.ts";
import { awayFromStepBoundary, hotp, totpCode, totpStep } from "../support/totp.ts";

const codeAttemptsPerClient = 4;
const codeAttemptsPerAccount = 6;
const codeWindowSeconds = 6;

describe("TOTP two-factor sign-in", function () {
  this.timeout(300_000);
  let platform: TestPlatform;

  before(async () => {
    platform = await startTestPlatform({
      env: {
        SECOND_FACTOR_ATTEMPTS_MAX: String(codeAttemptsPerClient),
        SECOND_FACTOR_ACCOUNT_ATTEMPTS_MAX: String(codeAttemptsPerAccount),
        SECOND_FACTOR_WINDOW_SECONDS: String(codeWindowSeconds),
      },
    });
  });
  after(async () => {
    await platform?.stopAll();
  });

  async function signUp(label: string): Promise<{ http: HttpClient; id: string; email: string; password: string }> {
    const email = `${label}-${randomBytes(4).toString("hex")}@example.com`;
    const password = `${label}-password-1`;
    const response = await platform.http.post("/api/auth/signup", { email, password });
    expect(response.status, response.text).to.equal(201);
    return { http: platform.http.as(response.body.token), id: response.body.account.id, email, password };
  }

  async function passwordStep(account: { email: string; password: string }, client?: string) {
    const login = await platform.http.post(
      "/api/auth/login",
      { email: account.email, password: account.password },
      client ? { "x-forwarded-for": client } : {},
    );
    expect([login.status, login.body.state], login.text).to.deep.equal([200, "second_factor_required"]);
    return login.body as { pendingToken: string; factors: string[] };
  }

  const secondStep = (body: Record<string, string>, client?: string) =>
    platform.http.post("/api/auth/second-factor", body, client ? { "x-forwarded-for": client } : {});

  it("computes RFC 6238's published codes (appendix B, SHA-1), so the test's TOTP can be trusted", () => {
    const key = Buffer.from("12345678901234567890", "ascii");
    const vectors: [number, string][] = [
      [59, "94287082"],
      [1111111109, "07081804"],
      [1111111111, "14050471"],
      [1234567890, "89005924"],
      [2000000000, "69279037"],
      [20000000000, "65353130"],
    ];
    for (const [seconds, code] of vectors) expect(hotp(key, Math.floor(seconds / 30), 8), `T=${seconds}`).to.equal(code);
    // RFC 4226 appendix D: HOTP of the same key, counters 0 and 9.
    expect(hotp(key, 0)).to.equal("755224");
    expect(hotp(key, 9)).to.equal("520489");
  });

  it("enrols with a code, stores the secret encrypted, and then asks every sign-in for a code", async () => {
    const account = await signUp("enrol");
    const started = await account.http.post("/api/account/security/totp");
    expect(started.status, started.text).to.equal(201);
    const secret: string = started.body.secret;
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    const uri = new URL(started.body.otpauthUri);
    expect([uri.protocol, uri.host, uri.searchParams.get("secret"), uri.searchParams.get("issuer")]).to.deep.equal(["otpauth:", "totp", secret, "Keyledger"]);
    expect([uri.searchParams.get("digits"), uri.searchParams.get("period"), uri.searchParams.get("algorithm")]).to.deep.equal(["6", "30", "SHA1"]);

    // At rest: neither the base32 secret nor its bytes appear in the row.
    const row = await queryOne<{ secret_encrypted: Buffer; confirmed_at: Date | null }>(
      platform.database.db,
      sql`SELECT secret_encrypted, confirmed_at FROM account_totp WHERE account_id = ${account.id}`,
    );
    expect(row!.confirmed_at).to.equal(null);
    expect(row!.secret_encrypted.includes(Buffer.from(secret))).to.equal(false);

    // Until it is confirmed, sign-in needs no code.
    expect((await platform.http.post("/api/auth/login", { email: account.email, password: account.password })).body.state).to.equal("signed_in");

    const wrong = await account.http.post("/api/account/security/totp/confirm", { code: totpCode(secret, totpStep() + 5) });
    expect([wrong.status, wrong.body.code], wrong.text).to.deep.equal([401, "invalid_credentials"]);
    const confirmed = await account.http.post("/api/account/security/totp/confirm", { code: totpCode(secret) });
    expect(confirmed.status, confirmed.text).to.equal(200);
    const codes: string[] = confirmed.body.recoveryCodes;
    expect(codes).to.have.length(10);
    expect(new Set(codes).size).to.equal(10);
    for (const code of codes) expect(code).to.match(/^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    // Stored hashed: no code appears in the table.
    const stored = await queryRows<{ code_hash: Buffer }>(platform.database.db, sql`SELECT code_hash FROM recovery_codes WHERE account_id = ${account.id}`);
    expect(stored).to.have.length(10);
    for (const { code_hash } of stored) for (const code of codes) expect(code_hash.includes(Buffer.from(code.replace(/-/g, "")))).to.equal(false);

    const overview = await account.http.get("/api/account/security");
    expect(overview.body).to.deep.include({ totpEnabled: true, recoveryCodesLeft: 10, secondFactorRequired: false, sessionFactor: "totp" });
    // A second enrolment is refused while TOTP is on.
    expect((await account.http.post("/api/account/security/totp")).status).to.equal(409);

    const pending = await passwordStep(account);
    expect(pending.factors).to.deep.equal(["totp", "recovery_code"]);
    // The pending token is not a session.
    expect((await platform.http.as(pending.pendingToken).get("/api/me")).status).to.equal(401);
    const done = await secondStep({ pendingToken: pending.pendingToken, code: totpCode(secret, totpStep() + 1) });
    expect([done.status, done.body.state], done.text).to.deep.equal([200, "signed_in"]);
    expect((await platform.http.as(done.body.token).get("/api/me")).body.id).to.equal(account.id);
    // A pending token finishes one sign-in only.
    const again = await secondStep({ pendingToken: pending.pendingToken, code: totpCode(secret, totpStep() + 1) });
    expect([again.status, again.body.code]).to.deep.equal([401, "unauthorized"]);
  });

  it("refuses a code used once (replay), older codes, and codes beyond one step of drift", async () => {
    const account = await signUp("replay");
    await awayFromStepBoundary();
    const { totpSecret } = await enrolTotp(account.http);
    const now = totpStep();
    const spent = await queryOne<{ last_step: string }>(platform.database.db, sql`SELECT last_step FROM account_totp WHERE account_id = ${account.id}`);
    expect(Number(spent!.last_step), "enrolment spent the current step").to.equal(now);
    const used = await secondStep({ pendingToken: (await passwordStep(account)).pendingToken, code: totpCode(totpSecret, now) });
    expect([used.status, used.body.code]).to.deep.equal([401, "invalid_credentials"]);
    const tooEarly = await secondStep({ pendingToken: (await passwordStep(account)).pendingToken, code: totpCode(totpSecret, now + 2) });
    expect(tooEarly.status, "two steps ahead is beyond the drift allowed").to.equal(401);

    const pending = await passwordStep(account);
    const next = totpCode(totpSecret, totpStep() + 1);
    const first = await secondStep({ pendingToken: pending.pendingToken, code: next });
    expect(first.status, first.text).to.equal(200);
    // The same code again, at once, in another sign-in: refused.
    const replay = await secondStep({ pendingToken: (await passwordStep(account)).pendingToken, code: next });
    expect([replay.status, replay.body.code]).to.deep.equal([401, "invalid_credentials"]);
    const older = await secondStep({ pendingToken: (await passwordStep(account)).pendingToken, code: totpCode(totpSecret, totpStep() - 1) });
    expect(older.status).to.equal(401);
  });

  it("the same code sent twice at once passes once", async () => {
    await awayFromStepBoundary();
    const account = await signUp("race");
    const { totpSecret } = await enrolTotp(account.http);
    const [a, b] = [await passwordStep(account, "10.9.0.1"), await passwordStep(account, "10.9.0.2")];
    const code = totpCode(totpSecret, totpStep() + 1);
    const answers = await Promise.all([
      secondStep({ pendingToken: a.pendingToken, code }, "10.9.0.1"),
      secondStep({ pendingToken: b.pendingToken, code }, "10.9.0.2"),
    ]);
    expect(answers.map((answer) => answer.status).sort()).to.deep.equal([200, 401]);
  });

  it("recovery codes work once each, in any case and spacing", async () => {
    const account = await signUp("recovery");
    const { recoveryCodes } = await enrolTotp(account.http);
    const code = recoveryCodes[3]!;
    const typed = code.toLowerCase().replace(/-/g, " ");
    const first = await secondStep({ pendingToken: (await passwordStep(account)).pendingToken, recoveryCode: typed });
    expect([first.status, first.body.state], first.text).to.deep.equal([200, "signed_in"]);
    const second = await secondStep({ pendingToken: (await passwordStep(account)).pendingToken, recoveryCode: code });
    expect([second.status, second.body.code]).to.deep.equal([401, "invalid_credentials"]);
    expect((await account.http.get("/api/account/security")).body.recoveryCodesLeft).to.equal(9);
    const sessions = await platform.http.as(first.body.token).get("/api/account/sessions");
    expect(sessions.body.items.find((session: { current: boolean }) => session.current).factor).to.equal("recovery_code");
  });

  it("throttles codes before checking them: of 40 parallel guesses at most the allowed number are checked, then even the right code waits", async () => {
    await awayFromStepBoundary();
    const account = await signUp("throttle");
    const { totpSecret } = await enrolTotp(account.http);
    const pending = await passwordStep(account, "10.9.1.1");
    const right = totpCode(totpSecret, totpStep() + 1);
    const wrongCodes = Array.from({ length: 40 }, (_, i) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, "0"));
    const burst = await Promise.all(wrongCodes.map((code) => secondStep({ pendingToken: pending.pendingToken, code }, "10.9.1.1")));
    const checked = burst.filter((answer) => answer.status !== 429);
    expect(checked.length, "codes that reached the check").to.equal(codeAttemptsPerClient);
    for (const answer of checked) expect(answer.body.code).to.equal("invalid_credentials");
    const failures = await queryOne<{ n: number }>(
      platform.database.db,
      sql`SELECT count(*)::int AS n FROM login_history WHERE account_id = ${account.id} AND factor = 'totp' AND NOT succeeded`,
    );
    expect(failures!.n, "wrong codes in the login history").to.equal(codeAttemptsPerClient);
    const locked = await secondStep({ pendingToken: pending.pendingToken, code: right }, "10.9.1.1");
    expect([locked.status, locked.body.code]).to.deep.equal([429, "rate_limited"]);
    const retryAfter = Number(locked.headers.get("retry-after"));
    expect(retryAfter).to.be.within(1, codeWindowSeconds);
    // Another address has its own allowance, below the account's ceiling.
    const elsewhere = await secondStep({ pendingToken: pending.pendingToken, code: "000000" === right ? "111111" : "000000" }, "10.9.1.2");
    expect(elsewhere.status).to.equal(401);
    const ceiling = await Promise.all(
      Array.from({ length: 5 }, () => secondStep({ pendingToken: pending.pendingToken, code: right === "000001" ? "000002" : "000001" }, "10.9.1.3")),
    );
    expect(ceiling.filter((answer) => answer.status !== 429).length, "the account's ceiling over all addresses").to.equal(
      codeAttemptsPerAccount - codeAttemptsPerClient - 1,
    );
    await new Promise((resolve) => setTimeout(resolve, (retryAfter + 1) * 1000));
    const fresh = await passwordStep(account, "10.9.1.1");
    const after = await secondStep({ pendingToken: fresh.pendingToken, code: totpCode(totpSecret, totpStep() + 1) }, "10.9.1.1");
    expect(after.status, after.text).to.equal(200);
  });

  it("a pending sign-in expires", async () => {
    const account = await signUp("expiry");
    const { totpSecret } = await enrolTotp(account.http);
    const pending = await passwordStep(account);
    await platform.database.db.execute(
      sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE account_id = ${account.id} AND stage = 'second_factor'`,
    );
    const late = await secondStep({ pendingToken: pending.pendingToken, code: totpCode(totpSecret, totpStep() + 1) });
    expect([late.status, late.body.code]).to.deep.equal([401, "unauthorized"]);
  });

  it("turning TOTP off and renewing recovery codes need a current code", async () => {
    const account = await signUp("disable");
    const { totpSecret, recoveryCodes } = await enrolTotp(account.http);
    const renewWrong = await account.http.post("/api/account/security/recovery-codes", { code: totpCode(totpSecret, totpStep() - 3) });
    expect(renewWrong.status).to.equal(401);
    const renewed = await account.http.post("/api/account/security/recovery-codes", { code: totpCode(totpSecret, totpStep() + 1) });
    expect(renewed.status, renewed.text).to.equal(200);
    expect(renewed.body.recoveryCodes.some((code: string) => recoveryCodes.includes(code))).to.equal(false);
    // The old set is gone.
    const old = await secondStep({ pendingToken: (await passwordStep(account)).pendingToken, recoveryCode: recoveryCodes[0]! });
    expect(old.status).to.equal(401);
    expect((await account.http.post("/api/account/security/totp/disable", { code: "12345" })).status).to.equal(400);
    await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 100));
    const off = await account.http.post("/api/account/security/totp/disable", { code: totpCode(totpSecret, totpStep() + 1) });
    expect(off.status, off.text).to.equal(204);
    expect((await platform.http.post("/api/auth/login", { email: account.email, password: account.password })).body.state).to.equal("signed_in");
  });

  describe("admins and auditors", () => {
    it("cannot use staff routes until enrolled; enrolment lifts the session; later sign-ins need the code", async () => {
      const account = await signUp("auditor");
      await platform.database.db.execute(sql`UPDATE accounts SET roles = ARRAY['buyer','auditor']::text[] WHERE id = ${account.id}`);
      const login = await platform.http.post("/api/auth/login", { email: account.email, password: account.password });
      expect([login.status, login.body.state], login.text).to.deep.equal([200, "enrolment_required"]);
      const session = platform.http.as(login.body.token);
      const refused = await session.get("/api/ledger/trial-balance");
      expect([refused.status, refused.body.code], refused.text).to.deep.equal([403, "second_factor_required"]);
      // Its other roles work as before.
      expect((await session.get("/api/me")).status).to.equal(200);
      expect((await session.get("/api/account/security")).body).to.deep.include({ secondFactorRequired: true, sessionFactor: "password", totpEnabled: false });
      // So does the sign-up session the role was granted under: the role is withheld there too.
      expect((await account.http.get("/api/ledger/trial-balance")).body.code).to.equal("second_factor_required");

      const { totpSecret } = await enrolTotp(session);
      expect((await session.get("/api/ledger/trial-balance")).status).to.equal(200);
      expect((await account.http.get("/api/ledger/trial-balance")).status, "a session without the second factor stays without staff roles").to.equal(403);

      const staff = await signInWithTotp(platform, { ...account, totpSecret });
      expect((await staff.get("/api/ledger/trial-balance")).status).to.equal(200);
      // A staff account cannot drop its only second factor.
      const drop = await staff.post("/api/account/security/totp/disable", { code: totpCode(totpSecret, totpStep() + 1) });
      expect([drop.status, drop.body.code]).to.deep.equal([409, "invalid_state"]);
    });

    it("the test helper makes staff the real way (an admin route works, a password-only session of the same account does not)", async () => {
      const admin = await createStaffAccount(platform, "admin", ["admin"]);
      const target = await signUp("target");
      const granted = await admin.http.post(`/api/admin/accounts/${target.id}/roles`, { roles: ["merchant"] });
      expect(granted.status, granted.text).to.equal(200);
      const passwordOnly = await platform.http.post("/api/auth/login", { email: admin.email, password: admin.password });
      expect(passwordOnly.body.state).to.equal("second_factor_required");
      expect(passwordOnly.body).not.to.have.property("token");
    });
  });
});
