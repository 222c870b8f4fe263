// Pricing in Chromium, in zh-CN and in en (docs/pricing.md): the merchant creates a coupon,
// generates codes and downloads their CSV, saves wholesale tiers (an overlapping table is refused
// with the API's message), a member level and a daily limit on the console's pricing tab; a buyer
// sees the tier prices and the member price on the product page, is told in the page's language
// that an unknown coupon does not exist, applies a real one, and the order checkout creates is
// charged exactly the breakdown's total that was on screen, computed here by hand.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, screenshot, watchPageErrors, type Browser } from "./browser.ts";

const locales = [
  {
    locale: "zh-CN",
    tag: "ZH",
    unknownCoupon: "该优惠券不存在",
    saved: "已保存",
    memberPrice: "您的会员价（Gold，优惠 5%）：每件 ¥9.50",
    tierRows: ["1–2 件¥10.00", "3 件及以上¥8.00"],
  },
  {
    locale: "en-US",
    tag: "EN",
    unknownCoupon: "That coupon doesn't exist",
    saved: "Saved.",
    memberPrice: "Your member price (Gold, 5% off): ¥9.50 each",
    tierRows: ["1–2¥10.00", "3 or more¥8.00"],
  },
] as const;

describe("pricing screens and checkout in Chromium (zh-CN and en)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;

  before(async function () {
    this.timeout(180_000);
    platform = await startTestPlatform();
  });
  after(async () => {
    await platform?.stopAll();
  });

  async function signedInPage(browser: Browser, session: { token: string; account: unknown }): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    const errors = watchPageErrors(page);
    await page.goto(`${platform.url}/verify`);
    await page.evaluate((stored) => window.localStorage.setItem("kl.session", JSON.stringify(stored)), session);
    return { page, errors };
  }

  for (const language of locales) {
    describe(language.locale, () => {
      let browser: Browser;
      let shop: MerchantSetup;
      let productId: string;
      let merchantSession: { token: string; account: unknown };

      before(async () => {
        browser = await launchBrowser({ locale: language.locale });
        shop = await setupMerchant(platform);
        productId = await createProduct(shop, { name: `Tiered card ${language.tag}`, deliveryMode: "manual", priceMinor: "1000", quantityMax: 10 });
        const me = await shop.merchant.get("/api/me");
        merchantSession = { token: shop.merchant.token!, account: me.body };
      });
      after(async () => {
        await browser?.close();
      });

      it("the merchant creates a coupon, generates and exports codes, and saves tiers, a member level and a daily limit", async () => {
        const { page, errors } = await signedInPage(browser, merchantSession);
        await page.goto(`${platform.url}/merchant/pricing`);
        // One coupon with a chosen code: 10% off, 5 uses.
        const form = page.getByTestId("coupon-form");
        await form.locator("#coupon-code").fill(`save10${language.tag}`);
        await form.locator("#coupon-value").fill("10");
        await form.locator("#coupon-uses-max").fill("5");
        await page.getByTestId("coupon-create").click();
        const row = page.locator(`[data-testid="coupon-row"][data-code="SAVE10${language.tag}"]`);
        await row.waitFor();
        expect(await row.getByTestId("coupon-uses").textContent()).to.equal("0 / 5");

        // 50 random codes, downloaded as CSV: a header and 50 distinct codes.
        await page.getByTestId("coupon-mode-bulk").check();
        await form.locator("#coupon-count").fill("50");
        await page.getByTestId("coupon-create").click();
        await page.getByTestId("coupon-generated").waitFor();
        const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("coupon-export").click()]);
        const lines = readFileSync(await download.path(), "utf8")
          .trim()
          .split("\n");
        expect(lines.length).to.equal(51);
        expect(new Set(lines.slice(1).map((line) => line.split(",")[0])).size).to.equal(50);

        // Tiers: an overlapping table is refused with the API's message and saves nothing.
        const tiers = page.getByTestId("tiers-form");
        for (const [min, max, price] of [
          ["1", "3", "10.00"],
          ["3", "", "8.00"],
        ]) {
          await page.getByTestId("tier-add").click();
          const last = tiers.getByTestId("tier-row").last();
          await last.getByTestId("tier-min").fill(min!);
          await last.getByTestId("tier-max").fill(max!);
          await last.getByTestId("tier-price").fill(price!);
        }
        await page.getByTestId("tiers-save").click();
        const refusal = tiers.getByTestId("error-notice");
        await refusal.waitFor();
        expect(await refusal.getAttribute("data-code")).to.equal("validation_failed");
        expect(await refusal.textContent()).to.include("ascending order without overlap");
        const before = await queryOne<{ n: string }>(platform.database.db, sql`SELECT count(*) AS n FROM price_tiers WHERE product_id = ${productId}`);
        expect(Number(before?.n)).to.equal(0);
        await tiers.getByTestId("tier-row").first().getByTestId("tier-max").fill("2");
        await page.getByTestId("tiers-save").click();
        await page.getByTestId("tiers-saved").waitFor();
        expect(await page.getByTestId("tiers-saved").textContent()).to.include(language.saved);

        // A member level every signed-in buyer holds (from 0 spent): 5% off.
        await page.getByTestId("level-add").click();
        const level = page.getByTestId("level-row").last();
        await level.getByTestId("level-name").fill("Gold");
        await level.getByTestId("level-spend").fill("0");
        await level.getByTestId("level-percent").fill("5");
        await page.getByTestId("levels-save").click();
        await page.getByTestId("levels-saved").waitFor();

        await page.getByTestId("limit-daily").fill("6");
        await page.getByTestId("limit-save").click();
        await page.getByTestId("limit-saved").waitFor();
        // The levels editor's own read (public): the shop's levels as saved.
        const levels = await platform.http.get(`/api/shops/${shop.shopId}/levels`);
        expect(levels.body).to.deep.equal({ levels: [{ name: "Gold", spendMinMinor: "0", discountPercent: 5 }] });
        const rules = await platform.http.get(`/api/products/${productId}/pricing`);
        expect(rules.body).to.deep.equal({
          tiers: [
            { quantityMin: 1, quantityMax: 2, unitPriceMinor: "1000" },
            { quantityMin: 3, quantityMax: null, unitPriceMinor: "800" },
          ],
          levels: [{ name: "Gold", spendMinMinor: "0", discountPercent: 5 }],
          perBuyerDailyMax: 6,
        });
        await screenshot(page, "web/pricing", `merchant-${language.tag}`);
        expect(errors).to.deep.equal([]);
        await page.close();
      });

      it("a signed-in buyer sees the tier prices and the member price, is refused an unknown coupon, and is charged the breakdown shown", async () => {
        const signup = await platform.http.post("/api/auth/signup", {
          email: `pricing-buyer-${language.tag.toLowerCase()}@example.com`,
          password: "buyer-password-1",
        });
        expect(signup.status, signup.text).to.equal(201);
        const { page, errors } = await signedInPage(browser, { token: signup.body.token, account: signup.body.account });
        await page.goto(`${platform.url}/product/${productId}`);
        await page.getByTestId("tier-prices").waitFor();
        const tierRows = await page.getByTestId("tier-price-row").allTextContents();
        expect(tierRows.map((text) => text.replace(/\s+/g, ""))).to.deep.equal(language.tierRows.map((text) => text.replace(/\s+/g, "")));
        // 5% off 10.00 is 0.50: the member price of one is 9.50.
        expect(await page.getByTestId("member-price").textContent()).to.equal(language.memberPrice);

        await page.getByTestId("checkout-quantity").fill("3");
        await page.getByTestId("checkout-coupon").fill("nosuchcode");
        await page.getByTestId("checkout-coupon-apply").click();
        const refusal = page.locator('[data-testid="error-notice"][data-code="coupon_unknown"]');
        await refusal.waitFor();
        expect(await refusal.textContent()).to.include(language.unknownCoupon);
        expect(await page.getByTestId("checkout-total").textContent()).to.equal("—");

        await page.getByTestId("checkout-coupon").fill(`save10${language.tag.toLowerCase()}`);
        await page.getByTestId("checkout-coupon-apply").click();
        // By hand: the tier's 8.00 beats the member's 9.50; 3 x 8.00 = 24.00; 10% off is 2.40; 21.60.
        await page.getByTestId("checkout-discount").waitFor();
        expect(await page.getByTestId("breakdown-tier").textContent()).to.equal("¥8.00");
        expect(await page.getByTestId("breakdown-subtotal").textContent()).to.equal("¥24.00");
        expect(await page.getByTestId("checkout-discount").textContent()).to.equal("−¥2.40");
        const shown = await page.getByTestId("checkout-total").textContent();
        expect(shown).to.equal("¥21.60");
        await screenshot(page, "web/pricing", `checkout-${language.tag}`);

        const [created] = await Promise.all([
          page.waitForResponse((response) => new URL(response.url()).pathname === "/api/orders" && response.request().method() === "POST"),
          page.getByTestId("checkout-submit").click(),
        ]);
        expect(created.status()).to.equal(201);
        // The page goes on to the payment page at once (its answer's body is gone): the order is read from the store.
        const stored = await queryOne<{ amount_minor: string; discount_minor: string; pricing: { totalMinor: string; coupon: { code: string } } }>(
          platform.database.db,
          sql`SELECT amount_minor::text, discount_minor::text, pricing FROM orders WHERE product_id = ${productId}`,
        );
        expect([stored?.amount_minor, stored?.discount_minor, stored?.pricing.totalMinor, stored?.pricing.coupon.code]).to.deep.equal([
          "2160",
          "240",
          "2160",
          `SAVE10${language.tag}`,
        ]);
        expect(errors).to.deep.equal([]);
      });
    });
  }
});
