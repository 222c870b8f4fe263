// The person's "My data" page in Chromium (docs/compliance.md, "Data rights"): the export is
// downloaded as a JSON file that holds the person's own email; erasure with a legal hold open is
// refused with the hold's reason shown and nothing written; once the hold is released, erasure
// from the page (Chinese) pseudonymises the account in the database and signs the person out.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, signInThroughPage, watchPageErrors } from "./browser.ts";

describe("My data page in Chromium (export, refused and granted erasure)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform({ seed: true, keysPerProduct: 1 });
  });
  after(async () => {
    await platform?.stopAll();
  });

  const row = <T>(query: ReturnType<typeof sql>) => queryOne<T>(platform.database.db, query);

  it("downloads the export, shows a legal hold's refusal, then erases in Chinese", async () => {
    const email = `my-data-${Date.now()}@example.com`;
    const password = "person-password-1";
    const signup = await platform.http.post("/api/auth/signup", { email, password });
    expect(signup.status, signup.text).to.equal(201);
    const accountId = BigInt(signup.body.account.id);
    const adminId = (await row<{ id: string }>(sql`SELECT id::text AS id FROM accounts WHERE email = ${platform.logins.admin.email}`))!.id;
    const hold = await row<{ id: string }>(
      sql`INSERT INTO legal_holds (account_id, reason, placed_by) VALUES (${accountId}, ${"Court order 42/2026"}, ${BigInt(adminId)}) RETURNING id::text AS id`,
    );

    const english = await launchBrowser({ locale: "en-US" });
    try {
      const page = await english.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, { email, password }, "/me/orders");
      await page.getByTestId("nav-my-data").click();
      await page.getByRole("heading", { name: "My data", level: 1 }).waitFor();

      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download my data (JSON)" }).click()]);
      const exported = JSON.parse(readFileSync((await download.path())!, "utf8"));
      // The file is the API's export of this person: their own email is in it, their id too.
      expect(JSON.stringify(exported)).to.contain(email);
      expect(JSON.stringify(exported)).to.contain(signup.body.account.id);

      const erase = page.getByRole("button", { name: "Erase my data" });
      expect(await erase.isDisabled()).to.equal(true);
      await page.getByLabel('Type "erase my data" to confirm').fill("erase my data");
      await erase.click();
      const refused = page.getByTestId("my-data-refused");
      await refused.getByText("Erasure refused: a legal hold is open on your account.").waitFor();
      await refused.getByText("Court order 42/2026").waitFor();
      expect(await refused.getAttribute("data-reason")).to.equal("legal_hold");
      // Refused: nothing written.
      const untouched = await row<{ email: string; erased: boolean }>(sql`SELECT email, erased_at IS NOT NULL AS erased FROM accounts WHERE id = ${accountId}`);
      expect(untouched).to.deep.equal({ email, erased: false });
      expect((await row<{ n: string }>(sql`SELECT count(*)::text AS n FROM data_erasures WHERE account_id = ${accountId}`))!.n).to.equal("0");
      expect(errors).to.deep.equal([]);
    } finally {
      await english.close();
    }

    await platform.database.db.execute(sql`UPDATE legal_holds SET released_at = now(), released_by = ${BigInt(adminId)} WHERE id = ${BigInt(hold!.id)}`);

    const chinese = await launchBrowser({ locale: "zh-CN" });
    try {
      const page = await chinese.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, { email, password }, "/me/data");
      await page.getByRole("heading", { name: "我的数据", level: 1 }).waitFor();
      await page.getByLabel("输入“erase my data”以确认").fill("erase my data");
      await page.getByRole("button", { name: "删除我的数据" }).click();
      await page.getByTestId("my-data-erased").getByText("你的数据已删除。").waitFor();
      const erased = await row<{ email: string; erased: boolean }>(sql`SELECT email, erased_at IS NOT NULL AS erased FROM accounts WHERE id = ${accountId}`);
      expect(erased).to.deep.equal({ email: `erased-${accountId}@erased.invalid`, erased: true });
      expect((await row<{ n: string }>(sql`SELECT count(*)::text AS n FROM sessions WHERE account_id = ${accountId}`))!.n).to.equal("0");
      // Signed out: the header offers sign-in again, and the old password no longer works.
      await page.getByTestId("nav-sign-in").waitFor();
      expect((await platform.http.post("/api/auth/login", { email, password })).status).to.not.equal(200);
      expect(errors).to.deep.equal([]);
    } finally {
      await chinese.close();
    }
  });
});
