// The onboarding flow and the admin console's KYC tab in Chromium, in English and in Chinese
// (docs/saas.md): a new merchant asks for the confirmation link from the page, opens the mailed
// link (a local SMTP server received it) and confirms; a reviewer opens the merchant's
// submission in the console (the view is audited), asks for more, and, in a Chinese browser,
// approves it, which raises the shop's level.
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { demoTotpSecrets } from "../../scripts/lib/seedDemo.ts";
import { startTestPlatform, waitFor, type HttpClient, type TestPlatform } from "../support/platform.ts";
import { startSmtpServer } from "../support/smtpServer.ts";
import { launchBrowser, signInThroughPage, watchPageErrors } from "./browser.ts";

const pdf = "%PDF-1.4\n%%EOF\n";

describe("onboarding and the KYC tab in Chromium (en, zh-CN)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  before(async () => {
    smtp = await startSmtpServer();
    platform = await startTestPlatform({ seed: true, keysPerProduct: 2, env: { SAAS_LIMITS_ENFORCED: "true", SMTP_URL: `smtp://127.0.0.1:${smtp.port}` } });
  });
  after(async () => {
    await platform?.stopAll();
    await smtp?.stop();
  });

  const value = async <T>(query: ReturnType<typeof sql>) => (await queryOne<{ v: T }>(platform.database.db, query))?.v;

  async function signUp(locale: "en" | "zh-CN"): Promise<{ client: HttpClient; email: string; password: string; id: string }> {
    const email = `onboard-${locale.toLowerCase()}-${Date.now()}@example.com`;
    const password = "merchant-password-1";
    const signup = await platform.http.post("/api/auth/signup", { email, password, roles: ["merchant"], locale });
    expect(signup.status, signup.text).to.equal(201);
    return { client: platform.http.as(signup.body.token), email, password, id: signup.body.account.id };
  }

  /** Signs in, asks for the link on the page, opens the mailed link and confirms. */
  async function confirmThroughPages(locale: "en" | "zh-CN", texts: { title: string; send: string; sent: string; confirm: string; done: string }) {
    const merchant = await signUp(locale);
    const browser = await launchBrowser({ locale: locale === "en" ? "en-US" : "zh-CN" });
    try {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, merchant, "/confirm-email");
      await page.getByRole("heading", { name: texts.title }).waitFor();
      await page.getByRole("button", { name: texts.send }).click();
      await page.getByText(texts.sent).waitFor();
      const mail = await waitFor("the confirmation mail", async () => smtp.messages.find((message) => message.to.join().includes(merchant.email)));
      const link = /(https?:\/\/[^\s]+confirm-email#token=[A-Za-z0-9_-]+)/.exec(mail.data.replace(/=\r\n/g, "").replace(/=3D/g, "="))![1]!;
      // Opened as from the mailbox: a fresh load of the page (the link's origin is PUBLIC_URL, the test's is its listener).
      await page.goto("about:blank");
      await page.goto(`${platform.url}${new URL(link).pathname}${new URL(link).hash}`);
      await page.getByRole("button", { name: texts.confirm }).click();
      await page.getByTestId("confirm-email-done").getByText(texts.done).waitFor();
      expect(await value<boolean>(sql`SELECT email_confirmed_at IS NOT NULL AS v FROM accounts WHERE id = ${BigInt(merchant.id)}`)).to.equal(true);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
    return merchant;
  }

  it("confirms a merchant's email and reviews its KYC submission in English, then approves it in Chinese", async () => {
    const english = await confirmThroughPages("en", {
      title: "Confirm your email",
      send: "Send me a confirmation link",
      sent: "The link is on its way",
      confirm: "Confirm my email",
      done: "Your email is confirmed.",
    });
    await confirmThroughPages("zh-CN", { title: "确认邮箱", send: "发送确认链接", sent: "链接已发送", confirm: "确认我的邮箱", done: "邮箱已确认。" });

    // The confirmed merchant opens a shop and submits its details and a document.
    const slug = `onboard-${Date.now().toString(36)}`;
    const shop = await english.client.post("/api/shops", { slug, name: "Onboarded" });
    expect(shop.status, shop.text).to.equal(201);
    const submitted = await english.client.post(`/api/shops/${shop.body.id}/kyc`, {
      levelRequested: "verified",
      details: { legalName: "Li Si", idNumber: "ID-42", country: "CN", address: "2 Nanjing Rd, Shanghai" },
    });
    expect(submitted.status, submitted.text).to.equal(201);
    const documents = `/api/shops/${shop.body.id}/kyc/${submitted.body.id}/documents?kind=identity`;
    expect((await english.client.request("POST", documents, pdf, { "content-type": "application/pdf" })).status).to.equal(201);
    const admin = platform.logins.admin;
    const adminId = await value<string>(sql`SELECT id::text AS v FROM accounts WHERE email = ${admin.email}`);
    await platform.database.db.execute(sql`INSERT INTO kyc_reviewers (account_id, granted_by) VALUES (${BigInt(adminId!)}, ${BigInt(adminId!)})`);

    const browser = await launchBrowser({ locale: "en-US" });
    try {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, { ...admin, totpSecret: demoTotpSecrets.admin }, "/admin/kyc");
      await page.getByTestId("admin-tab-kyc").getByText("KYC reviews").waitFor();
      const row = page.getByTestId("kyc-table").getByRole("row").filter({ hasText: slug });
      await row.getByRole("button", { name: "Review" }).click();
      await page.getByTestId("kyc-legal-name").getByText("Li Si").waitFor();
      await page.getByLabel("Ask for more").check();
      await page.getByLabel("Reason (shown to the merchant)").fill("A clearer scan of the ID, please.");
      await page.getByRole("button", { name: "Record the decision" }).click();
      await page.getByText("No submission is waiting").waitFor();
      expect(await value<string>(sql`SELECT status AS v FROM kyc_submissions WHERE id = ${BigInt(submitted.body.id)}`)).to.equal("more_requested");
      expect(await value<string>(sql`SELECT count(*)::text AS v FROM audit_log WHERE action = 'kyc.viewed'`)).to.equal("1");
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }

    // The merchant sends the clearer scan; a Chinese-speaking reviewer approves.
    expect((await english.client.request("POST", documents, pdf, { "content-type": "application/pdf" })).status).to.equal(201);
    const chinese = await launchBrowser({ locale: "zh-CN" });
    try {
      const page = await chinese.context.newPage();
      await signInThroughPage(page, platform.url, { ...admin, totpSecret: demoTotpSecrets.admin }, "/admin/kyc");
      await page.getByTestId("admin-tab-kyc").getByText("实名审核").waitFor();
      await page.getByTestId("kyc-table").getByRole("row").filter({ hasText: slug }).getByRole("button", { name: "审核" }).click();
      await page.getByText("要求补充材料: A clearer scan of the ID, please.").waitFor();
      await page.getByLabel("通过").check();
      await page.getByLabel("理由（商户可见）").fill("资料齐全。");
      await page.getByRole("button", { name: "记录决定" }).click();
      await page.getByText("没有待审核的资料").waitFor();
    } finally {
      await chinese.close();
    }
    expect(await value<string>(sql`SELECT verification_level AS v FROM shops WHERE id = ${BigInt(shop.body.id)}`)).to.equal("verified");
  });
});
