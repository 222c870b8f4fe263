// The platform console's plans tab in Chromium (docs/saas.md, "Plans and fees"): an admin changes the
// pro plan's fee to 1.75% (the row checked in the database), then a sale of the demo shop, moved to
// pro, carries in its journal transaction the fee worked out by hand; a negative fee and a negative
// limit show the server's message next to their field and leave the row as it was; in Chinese on a
// phone, a new plan is added.
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { demoApi } from "../../scripts/lib/demoApi.ts";
import { demoTotpSecrets } from "../../scripts/lib/seedDemo.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, signInThroughPage, viewports, watchPageErrors } from "./browser.ts";

describe("plans tab of the platform console in Chromium (en, zh-CN)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform({ seed: true, keysPerProduct: 2 });
  });
  after(async () => {
    await platform?.stopAll();
  });

  const planRow = async (code: string) =>
    queryOne<Record<string, unknown>>(
      platform.database.db,
      sql`SELECT code, name, fee_bps, products_max, keys_max, api_keys_max, webhooks_max, substores_max, updated_at::text FROM plans WHERE code = ${code}`,
    );

  it("en: a negative fee and a negative limit are refused next to their field with nothing written; 1.75% is saved and the next sale pays it", async () => {
    const admin = { ...platform.logins.admin, totpSecret: demoTotpSecrets.admin };
    const { api, pay, waitForOrder } = demoApi(platform.url);
    // The demo shop on pro (set in the database: an admin's API sign-in here would spend the TOTP code the page needs).
    const shop = (await queryOne<{ id: string }>(platform.database.db, sql`UPDATE shops SET plan_code = 'pro' WHERE slug = 'demo' RETURNING id::text`))!;
    const before = await planRow("pro");

    const browser = await launchBrowser({ locale: "en-US" });
    try {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, admin, "/admin/plans");
      await page.getByTestId("admin-tab-plans").getByText("Plans").waitFor();
      const fee = page.getByTestId("plan-fee-pro");
      expect(await fee.textContent()).to.equal(`${(Number(before!.fee_bps) / 100).toFixed(2)}%`);
      await page.getByTestId("plan-edit-pro").click();
      const form = page.getByRole("form", { name: "Edit plan pro" });

      await form.getByLabel("Fee per sale (%)").fill("-1.5");
      await form.getByRole("button", { name: "Save plan" }).click();
      const feeError = form.locator(".field", { has: page.getByLabel("Fee per sale (%)") }).getByRole("alert");
      expect(await feeError.textContent()).to.match(/>=\s*0/);
      expect(await planRow("pro")).to.deep.equal(before);

      await form.getByLabel("Fee per sale (%)").fill("1.75");
      await form.getByLabel("Keys in stock").fill("-5");
      await form.getByRole("button", { name: "Save plan" }).click();
      const keysError = form.locator(".field", { has: page.getByLabel("Keys in stock") }).getByRole("alert");
      expect(await keysError.textContent()).to.match(/>=\s*0/);
      expect(
        await form
          .locator(".field", { has: page.getByLabel("Fee per sale (%)") })
          .getByRole("alert")
          .count(),
      ).to.equal(0);
      expect(await planRow("pro")).to.deep.equal(before);

      await form.getByLabel("Keys in stock").fill(String(before!.keys_max));
      await form.getByRole("button", { name: "Save plan" }).click();
      await page.getByTestId("plan-fee-pro").getByText("1.75%").waitFor();
      const after = await planRow("pro");
      expect({ ...after, updated_at: null }).to.deep.equal({ ...before, fee_bps: 175, updated_at: null });
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }

    // The next sale: the ¥48.00 card at 1.75%, 4800 x 175 / 10000 = 84.
    const steam = (await queryOne<{ id: string; price_minor: string }>(
      platform.database.db,
      sql`SELECT id::text, price_minor::text FROM products WHERE shop_id = ${BigInt(shop.id)} AND name LIKE 'Steam%'`,
    ))!;
    expect(steam.price_minor).to.equal("4800");
    const order = await api<{ order: { id: string }; accessToken: string; payment: { url: string } }>("POST", "/api/orders", {
      productId: steam.id,
      quantity: 1,
      contact: "plan-editor@example.com",
      queryPassword: "plan-editor-pass-1234",
    });
    await pay(order.payment.url);
    await waitForOrder(order.order.id, order.accessToken);
    const posted = await waitFor("the sale's fee posting", async () => {
      const row = await queryOne<{ fee: string }>(
        platform.database.db,
        sql`SELECT p.amount_minor::text AS fee FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id
            JOIN ledger_accounts a ON a.id = p.account_id AND a.owner_type = 'platform' AND a.purpose = 'fees'
            WHERE t.idempotency_key = ${`order:${order.order.id}:payment`}`,
      );
      return row?.fee;
    });
    expect(posted).to.equal("84");
  });

  it("zh-CN at 360 px: a new plan is added, and a code already taken is refused", async () => {
    const admin = { ...platform.logins.admin, totpSecret: demoTotpSecrets.admin };
    const browser = await launchBrowser({ locale: "zh-CN", viewport: viewports.phone });
    try {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, admin, "/admin/plans");
      await page.getByTestId("plans-table").waitFor();
      await page.getByRole("button", { name: "新建套餐" }).click();
      const form = page.getByRole("form", { name: "新建套餐" });
      await form.getByLabel("代码").fill("team");
      await form.getByLabel("名称").fill("团队版");
      await form.getByLabel("单笔费率（%）").fill("3");
      for (const [label, value] of [
        ["商品数", "20"],
        ["库存卡密数", "2000"],
        ["API 密钥数", "3"],
        ["Webhook 端点数", "2"],
        ["分站数", "1"],
      ]) {
        await form.getByLabel(label!, { exact: true }).fill(value!);
      }
      await form.getByRole("button", { name: "保存套餐" }).click();
      await page.getByTestId("plan-fee-team").getByText("3.00%").waitFor();
      const created = await planRow("team");
      expect({ ...created, updated_at: null }).to.deep.equal({
        code: "team",
        name: "团队版",
        fee_bps: 300,
        products_max: 20,
        keys_max: 2000,
        api_keys_max: 3,
        webhooks_max: 2,
        substores_max: 1,
        updated_at: null,
      });
      await page.getByRole("button", { name: "新建套餐" }).click();
      await form.getByLabel("代码").fill("team");
      await form.getByLabel("名称").fill("Another");
      await form.getByRole("button", { name: "保存套餐" }).click();
      await form.locator('[data-testid="error-notice"][data-code="conflict"]').waitFor();
      expect((await planRow("team"))!.name).to.equal("团队版");
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      expect(scrollWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px viewport`).to.be.at.most(innerWidth);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });
});
