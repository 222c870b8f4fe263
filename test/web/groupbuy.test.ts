// Group buying in Chromium, in zh-CN and in en (docs/groupbuy.md): the merchant's group offer
// editor on the console's pricing tab (a price above the product's refused with the API's code,
// then saved), the product page's "Start a group at ¥X (N people, T h)", and a group's page
// /g/<id> with its members, time left, join button and share link, each in the page's language.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, watchPageErrors, type Browser } from "./browser.ts";

const locales = [
  {
    locale: "zh-CN",
    tag: "ZH",
    offer: "¥8.00 发起拼团（3 人，24 小时）",
    members: "已付款 0 / 3 人",
    timeLeft: "23 小时 59 分",
    join: "以 ¥8.00 参团",
    copied: "已复制",
    saved: "已保存",
  },
  {
    locale: "en-US",
    tag: "EN",
    offer: "Start a group at ¥8.00 (3 people, 24 h)",
    members: "0 of 3 paid",
    timeLeft: "23 h 59 min",
    join: "Join at ¥8.00",
    copied: "Copied",
    saved: "Saved.",
  },
] as const;

describe("group buying screens in Chromium (zh-CN and en)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;

  before(async function () {
    this.timeout(180_000);
    platform = await startTestPlatform();
  });
  after(async () => {
    await platform?.stopAll();
  });

  async function signedInPage(browser: Browser, token: string): Promise<{ page: Page; errors: string[] }> {
    const me = await platform.http.as(token).get("/api/me");
    const page = await browser.context.newPage();
    const errors = watchPageErrors(page);
    await page.goto(`${platform.url}/verify`);
    await page.evaluate((stored) => window.localStorage.setItem("kl.session", JSON.stringify(stored)), { token, account: me.body });
    return { page, errors };
  }

  async function newBuyer(label: string): Promise<string> {
    const signup = await platform.http.post("/api/auth/signup", { email: `${label}-${Date.now()}@example.com`, password: "group-web-pass-1" });
    expect(signup.status, signup.text).to.equal(201);
    return signup.body.token as string;
  }

  for (const language of locales) {
    describe(language.locale, () => {
      let browser: Browser;
      let shop: MerchantSetup;
      let productId: string;

      before(async () => {
        browser = await launchBrowser({ locale: language.locale });
        shop = await setupMerchant(platform);
        productId = await createProduct(shop, { name: `Group card ${language.tag}`, priceMinor: "1000", quantityMax: 5 });
        await importKeys(shop, productId, randomKeys(3, `GRPWEB${language.tag}`));
      });
      after(async () => {
        await browser?.close();
      });

      it("the merchant's group offer editor refuses a price above the product's and saves 8.00 for 3 buyers in 24 hours", async () => {
        const { page, errors } = await signedInPage(browser, shop.merchant.token!);
        await page.goto(`${platform.url}/merchant/pricing`);
        const form = page.getByTestId("group-offer-form");
        await form.waitFor();
        await form.getByTestId("group-offer-price").fill("12.00");
        await form.getByTestId("group-offer-size").fill("3");
        await form.getByTestId("group-offer-hours").fill("24");
        await form.getByTestId("group-offer-save").click();
        const refusal = form.getByTestId("error-notice");
        await refusal.waitFor();
        expect(await refusal.getAttribute("data-code")).to.equal("group_price_too_high");
        expect(await queryOne(platform.database.db, sql`SELECT 1 AS one FROM group_offers WHERE product_id = ${productId}`)).to.equal(undefined);
        await form.getByTestId("group-offer-price").fill("8.00");
        await form.getByTestId("group-offer-save").click();
        await form.getByTestId("group-offer-saved").waitFor();
        expect(await form.getByTestId("group-offer-saved").textContent()).to.include(language.saved);
        const offer = await queryOne<{ price_minor: string; size: number; window_hours: number; active: boolean }>(
          platform.database.db,
          sql`SELECT price_minor::text, size, window_hours, active FROM group_offers WHERE product_id = ${productId}`,
        );
        expect(offer).to.deep.equal({ price_minor: "800", size: 3, window_hours: 24, active: true });
        expect(errors).to.deep.equal([]);
      });

      it("the product page offers to start a group at the group price, and the group's page shows members, time left, join and its share link", async () => {
        const guest = await browser.context.newPage();
        const guestErrors = watchPageErrors(guest);
        await guest.goto(`${platform.url}/product/${productId}`);
        await guest.getByTestId("group-offer-text").waitFor();
        expect(await guest.getByTestId("group-offer-text").textContent()).to.equal(language.offer);
        expect(guestErrors).to.deep.equal([]);

        const leader = platform.http.as(await newBuyer(`leader-${language.tag}`));
        const opened = await leader.post(`/api/products/${productId}/groups`, {});
        expect(opened.status, opened.text).to.equal(201);
        const groupId = opened.body.group.id as string;

        const { page, errors } = await signedInPage(browser, await newBuyer(`joiner-${language.tag}`));
        await page.goto(`${platform.url}/g/${groupId}`);
        await page.getByTestId("group-page").waitFor();
        expect(await page.getByTestId("group-members").textContent()).to.equal(language.members);
        // Opened moments ago with a 24-hour window: 23 hours 59 minutes left (whole minutes, rounded down).
        expect(await page.getByTestId("group-time-left").textContent()).to.equal(language.timeLeft);
        expect(await page.getByTestId("group-join").textContent()).to.equal(language.join);
        expect(await page.getByTestId("group-share-link").inputValue()).to.equal(`${platform.url}/g/${groupId}`);
        await page.getByTestId("group-copy").click();
        // The label changes once the clipboard has taken the link.
        await page.getByTestId("group-copy").filter({ hasText: language.copied }).waitFor();
        expect(errors).to.deep.equal([]);
      });
    });
  }
});
