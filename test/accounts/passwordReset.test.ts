// Password reset by mail over real HTTP and a real SMTP conversation: the same answer whether
// the email has an account or not, the mail in the account's language, a token stored only as
// its hash that works once and expires, and every session ended by the reset.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { queryRows, sql } from "../../core/store/database.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { startSmtpServer, type ReceivedMail } from "../support/smtpServer.ts";

const publicUrl = "https://shop.example";

/** The text of a one-part mail, its transfer encoding undone: base64, or quoted-printable (RFC 2045 6.7, 6.8). */
function mailText(mail: ReceivedMail): string {
  const split = mail.data.indexOf("\r\n\r\n");
  const headers = mail.data.slice(0, split);
  const body = mail.data.slice(split + 4);
  if (/^Content-Transfer-Encoding: base64$/im.test(headers)) return Buffer.from(body.replace(/\s/g, ""), "base64").toString("utf8");
  return Buffer.from(
    body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");
}

/** The Subject header, decoding RFC 2047 encoded words (B and Q). */
function mailSubject(mail: ReceivedMail): string {
  const header = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(mail.data)?.[1] ?? "";
  return header.replace(/\r\n[ \t]/g, "").replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=\s*/gi, (_whole, kind: string, text: string) =>
    kind.toUpperCase() === "B"
      ? Buffer.from(text, "base64").toString("utf8")
      : Buffer.from(
          text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
          "latin1",
        ).toString("utf8"),
  );
}

describe("password reset by mail", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  before(async () => {
    smtp = await startSmtpServer();
    platform = await startTestPlatform({ env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, PUBLIC_URL: publicUrl, PASSWORD_RESET_EMAIL_ATTEMPTS_MAX: "3" } });
  });
  after(async () => {
    await platform?.stopAll();
    await smtp?.stop();
  });

  async function signUp(label: string, locale?: "zh-CN" | "en") {
    const email = `${label}-${randomBytes(4).toString("hex")}@example.com`;
    const password = `${label}-password-1`;
    const response = await platform.http.post("/api/auth/signup", { email, password, ...(locale ? { locale } : {}) });
    expect(response.status, response.text).to.equal(201);
    return { email, password, token: response.body.token as string, id: response.body.account.id as string };
  }

  const mailTo = (email: string) => waitFor(`the reset mail to ${email}`, async () => smtp.messages.find((mail) => mail.to.includes(`<${email}>`)), 10_000);

  function tokenIn(mail: ReceivedMail): string {
    const match = new RegExp(`${publicUrl.replace(/\./g, "\\.")}/reset-password#token=([A-Za-z0-9_-]{43})`).exec(mailText(mail));
    expect(match, mailText(mail)).not.to.equal(null);
    return match![1]!;
  }

  it("answers the same for an email with and without an account; only the account's owner gets a mail", async () => {
    const account = await signUp("exists");
    const unknown = `nobody-${randomBytes(4).toString("hex")}@example.com`;
    const known = await platform.http.post("/api/auth/password-reset", { email: account.email.toUpperCase() });
    const missing = await platform.http.post("/api/auth/password-reset", { email: unknown });
    expect([known.status, known.text]).to.deep.equal([missing.status, missing.text]);
    expect(known.status).to.equal(202);
    expect(known.body).to.deep.equal({ accepted: true });
    await mailTo(account.email);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.messages.some((mail) => mail.to.includes(`<${unknown}>`))).to.equal(false);
  });

  it("mails in the account's language: Chinese by default, English when chosen", async () => {
    const zh = await signUp("zh");
    const en = await signUp("en", "en");
    await platform.http.post("/api/auth/password-reset", { email: zh.email });
    await platform.http.post("/api/auth/password-reset", { email: en.email });
    const zhMail = await mailTo(zh.email);
    const enMail = await mailTo(en.email);
    expect(mailSubject(zhMail)).to.equal("重置 Keyledger 密码");
    expect(mailText(zhMail)).to.contain("链接只能使用一次");
    expect(mailSubject(enMail)).to.equal("Reset your Keyledger password");
    expect(mailText(enMail)).to.contain("it works once");
    expect(mailText(enMail)).not.to.contain("链接");
  });

  it("a reset sets the password, ends every session, and its token works once; only the token's hash is stored", async () => {
    const account = await signUp("reset");
    const other = await platform.http.post("/api/auth/login", { email: account.email, password: account.password });
    expect(other.status).to.equal(200);
    await platform.http.post("/api/auth/password-reset", { email: account.email });
    const token = tokenIn(await mailTo(account.email));

    const stored = await queryRows<{ token_hash: Buffer }>(
      platform.database.db,
      sql`SELECT token_hash FROM password_reset_tokens WHERE account_id = ${account.id}`,
    );
    expect(stored.map((row) => row.token_hash.toString("hex"))).to.deep.equal([createHash("sha256").update(token).digest("hex")]);

    const tooShort = await platform.http.post("/api/auth/password-reset/confirm", { token, password: "short" });
    expect([tooShort.status, tooShort.body.code]).to.deep.equal([400, "validation_failed"]);
    const done = await platform.http.post("/api/auth/password-reset/confirm", { token, password: "a-new-password-2" });
    expect(done.status, done.text).to.equal(204);
    for (const session of [account.token, other.body.token])
      expect((await platform.http.as(session).get("/api/me")).status, "every session ended").to.equal(401);
    expect((await platform.http.post("/api/auth/login", { email: account.email, password: account.password })).status).to.equal(401);
    expect((await platform.http.post("/api/auth/login", { email: account.email, password: "a-new-password-2" })).status).to.equal(200);

    const again = await platform.http.post("/api/auth/password-reset/confirm", { token, password: "a-third-password-3" });
    expect([again.status, again.body.code]).to.deep.equal([401, "invalid_credentials"]);
    const history = await platform.http
      .as((await platform.http.post("/api/auth/login", { email: account.email, password: "a-new-password-2" })).body.token)
      .get("/api/account/login-history");
    expect(history.body.items.map((entry: { factor: string; succeeded: boolean }) => `${entry.factor}:${entry.succeeded}`)).to.include.members([
      "password_reset:true",
      "password:false",
    ]);
  });

  it("an expired token is refused and changes nothing", async () => {
    const account = await signUp("expired");
    await platform.http.post("/api/auth/password-reset", { email: account.email });
    const first = tokenIn(await mailTo(account.email));
    await platform.database.db.execute(
      sql`UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = ${createHash("sha256").update(first).digest()}`,
    );
    const late = await platform.http.post("/api/auth/password-reset/confirm", { token: first, password: "a-new-password-2" });
    expect([late.status, late.body.code]).to.deep.equal([401, "invalid_credentials"]);
    expect((await platform.http.post("/api/auth/login", { email: account.email, password: account.password })).status, "the password is unchanged").to.equal(
      200,
    );
  });

  it("limits reset mails per email: the answer stays the same, the extra requests are refused with 429", async () => {
    const account = await signUp("flood");
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await platform.http.post("/api/auth/password-reset", { email: account.email }, { "x-forwarded-for": `10.8.0.${i + 1}` }));
    expect(answers.map((answer) => answer.status)).to.deep.equal([202, 202, 202, 429]);
    // The limit is counted per email whether or not it has an account, so a 429 tells nothing either.
    const unknown = `flood-${randomBytes(4).toString("hex")}@example.com`;
    const unknownAnswers = [];
    for (let i = 0; i < 4; i++)
      unknownAnswers.push((await platform.http.post("/api/auth/password-reset", { email: unknown }, { "x-forwarded-for": `10.8.1.${i + 1}` })).status);
    expect(unknownAnswers).to.deep.equal([202, 202, 202, 429]);
  });
});
