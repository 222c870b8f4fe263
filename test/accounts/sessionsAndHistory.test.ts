// Active sessions with revoke, the login history, and sign-up's email_taken answer, which
// costs the asking address a point of a throttle (docs/accounts.md, "Sign-up and enumeration").
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";

const takenAnswersMax = 3;

describe("sessions, login history and sign-up enumeration", function () {
  this.timeout(300_000);
  let platform: TestPlatform;

  before(async () => {
    platform = await startTestPlatform({ env: { SIGNUP_TAKEN_ATTEMPTS_MAX: String(takenAnswersMax) } });
  });
  after(async () => {
    await platform?.stopAll();
  });

  async function signUp(label: string) {
    const email = `${label}-${randomBytes(4).toString("hex")}@example.com`;
    const password = `${label}-password-1`;
    const response = await platform.http.post("/api/auth/signup", { email, password }, { "user-agent": "signup-agent/1" });
    expect(response.status, response.text).to.equal(201);
    return { email, password, http: platform.http.as(response.body.token), id: response.body.account.id as string };
  }

  const login = (account: { email: string }, password: string, client: string, agent: string) =>
    platform.http.post("/api/auth/login", { email: account.email, password }, { "x-forwarded-for": client, "user-agent": agent });

  it("lists the account's sessions with where they came from, and revokes one by id", async () => {
    const account = await signUp("sessions");
    const laptop = await login(account, account.password, "10.7.0.1", "laptop-browser/2");
    const phone = await login(account, account.password, "10.7.0.2", "phone-browser/3");
    const phoneHttp = platform.http.as(phone.body.token);
    const listed = await phoneHttp.get("/api/account/sessions");
    expect(listed.status, listed.text).to.equal(200);
    const rows = listed.body.items as { id: string; clientAddress: string; userAgent: string; current: boolean; factor: string }[];
    expect(rows.map((row) => [row.clientAddress, row.userAgent, row.current, row.factor])).to.deep.equal([
      ["10.7.0.2", "phone-browser/3", true, "password"],
      ["10.7.0.1", "laptop-browser/2", false, "password"],
      ["127.0.0.1", "signup-agent/1", false, "password"],
    ]);
    const laptopRow = rows[1]!;
    const revoked = await phoneHttp.request("DELETE", `/api/account/sessions/${laptopRow.id}`);
    expect(revoked.status, revoked.text).to.equal(204);
    expect((await platform.http.as(laptop.body.token).get("/api/me")).status).to.equal(401);
    expect((await phoneHttp.get("/api/me")).status).to.equal(200);
    expect((await phoneHttp.get("/api/account/sessions")).body.items).to.have.length(2);

    // Another account's session cannot be revoked (or even confirmed to exist) by id.
    const stranger = await signUp("stranger");
    const strangerSessions = (await stranger.http.get("/api/account/sessions")).body.items as { id: string }[];
    const attempt = await phoneHttp.request("DELETE", `/api/account/sessions/${strangerSessions[0]!.id}`);
    expect([attempt.status, attempt.body.code]).to.deep.equal([404, "not_found"]);
    expect((await stranger.http.get("/api/me")).status).to.equal(200);
  });

  it("keeps every sign-in attempt on the account, newest first, paged by cursor", async () => {
    const account = await signUp("history");
    await login(account, "not-the-password", "10.7.1.1", "guesser/1");
    await login(account, account.password, "10.7.1.2", "owner/1");
    await login(account, "still-not-it", "10.7.1.3", "guesser/2");
    const owner = platform.http.as((await login(account, account.password, "10.7.1.2", "owner/1")).body.token);
    const first = await owner.get("/api/account/login-history?limit=3");
    expect(first.status, first.text).to.equal(200);
    type Entry = { clientAddress: string; userAgent: string; factor: string; succeeded: boolean };
    const summary = (entries: Entry[]) => entries.map((entry) => `${entry.clientAddress} ${entry.userAgent} ${entry.factor} ${entry.succeeded}`);
    expect(summary(first.body.items)).to.deep.equal(["10.7.1.2 owner/1 password true", "10.7.1.3 guesser/2 password false", "10.7.1.2 owner/1 password true"]);
    expect(first.body.nextCursor).to.be.a("string");
    const second = await owner.get(`/api/account/login-history?limit=3&cursor=${first.body.nextCursor}`);
    expect(summary(second.body.items)).to.deep.equal(["10.7.1.1 guesser/1 password false"]);
    expect(second.body.nextCursor).to.equal(null);
    // Someone else's history is not reachable: the route reads the signed-in account only.
    const stranger = await signUp("nosy");
    expect((await stranger.http.get("/api/account/login-history")).body.items).to.deep.equal([]);
  });

  it("sign-up's email_taken answers cost the address a point each; new accounts do not", async () => {
    const existing = await signUp("taken");
    const client = { "x-forwarded-for": "10.7.2.1" };
    for (let i = 0; i < takenAnswersMax + 2; i++) {
      const fresh = await platform.http.post(
        "/api/auth/signup",
        { email: `fresh-${i}-${randomBytes(3).toString("hex")}@example.com`, password: "fresh-password-1" },
        client,
      );
      expect(fresh.status, "a new account gives its point back").to.equal(201);
    }
    const probes = [];
    for (let i = 0; i < takenAnswersMax + 1; i++)
      probes.push(await platform.http.post("/api/auth/signup", { email: existing.email, password: "probe-password-1" }, client));
    expect(probes.map((probe) => probe.body.code)).to.deep.equal([...Array(takenAnswersMax).fill("email_taken"), "rate_limited"]);
    expect(Number(probes.at(-1)!.headers.get("retry-after"))).to.be.greaterThan(0);
    // Another address is unaffected.
    const elsewhere = await platform.http.post("/api/auth/signup", { email: existing.email, password: "probe-password-1" }, { "x-forwarded-for": "10.7.2.2" });
    expect(elsewhere.body.code).to.equal("email_taken");
  });
});
