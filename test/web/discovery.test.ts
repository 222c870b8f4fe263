// Search-as-you-type and verified reviews in Chromium against the whole platform: the header's
// combobox finds a Chinese product by two characters and an English one through a typo, and is
// driven by the keyboard; a buyer reviews from the order page, the product page shows the review
// as a verified purchase linked to the issuance transaction, the shop's merchant replies, and an
// admin hides the reported review on the moderation page. Recommendations: the product page
// shows "bought together" in both languages after the job counted real purchases, and a buyer's
// order page shows "for you".
import { expect } from "chai";
import type { Page } from "playwright-core";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, importKeys, type MerchantSetup, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { createStaffAccount } from "../support/staff.ts";
import { buyFromShop, type Person, signUp, waitIssued } from "../resale/support.ts";
import { updateRecommendations } from "../../api/services/recommendations/updateRecommendations.ts";
import { launchBrowser, signInThroughPage, watchPageErrors, type Browser } from "./browser.ts";

describe("search and reviews in Chromium", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let productId: string;
  let netflixId: string;
  let buyer: Person;
  let bought: { orderId: string; entitlementId: string };
  const browsers: Browser[] = [];

  before(async () => {
    platform = await startTestPlatform();
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "王者荣耀点券 60元", resaleAllowed: true });
    netflixId = await createProduct(setup, { name: "Netflix Premium 1 month", category: "subscription" });
    await importKeys(setup, productId, randomKeys(2, "WEB"));
    buyer = await signUp(platform, "web-reviewer");
    bought = await buyFromShop(platform, setup, buyer, productId);
    await waitIssued(platform, bought.entitlementId);
  });
  after(async () => {
    for (const browser of browsers) await browser.close();
    await platform?.stopAll();
  });

  async function newPage(locale: string): Promise<{ page: Page; errors: string[] }> {
    const browser = await launchBrowser({ locale });
    browsers.push(browser);
    const page = await browser.context.newPage();
    return { page, errors: watchPageErrors(page) };
  }

  it("suggests as you type, in Chinese and English, and opens the option chosen with the keyboard", async () => {
    const { page, errors } = await newPage("zh-CN");
    await page.goto(platform.url);
    const box = page.getByRole("combobox", { name: "搜索商品和店铺" });
    await box.fill("荣耀");
    const option = page.getByRole("option", { name: /王者荣耀点券/ });
    await option.waitFor();
    expect(await box.getAttribute("aria-expanded")).to.equal("true");
    await box.press("ArrowDown");
    expect(await option.getAttribute("aria-selected")).to.equal("true");
    expect(await box.getAttribute("aria-activedescendant")).to.equal(await option.getAttribute("id"));
    await box.press("Enter");
    await page.waitForURL(`${platform.url}/product/${productId}`);
    await page.getByTestId("product-title").filter({ hasText: "王者荣耀点券" }).waitFor();

    // A typo in English still finds the product; Escape closes the list.
    await box.fill("netflx");
    await page.getByRole("option", { name: /Netflix Premium/ }).waitFor();
    await box.press("Escape");
    expect(await box.getAttribute("aria-expanded")).to.equal("false");
    await box.fill("netflx premum");
    await page.getByRole("option", { name: /Netflix Premium/ }).click();
    await page.waitForURL(`${platform.url}/product/${netflixId}`);
    expect(errors).to.deep.equal([]);
  });

  it("lets the buyer review from the order page; the product page shows it verified, linked to the issuance", async () => {
    const { page, errors } = await newPage("en-US");
    await signInThroughPage(page, platform.url, { email: buyer.email, password: "resale-password-1" }, `/orders/${bought.orderId}`);
    await page.getByTestId("review-form").waitFor();
    await page.getByLabel("4 of 5 stars").check();
    await page.getByLabel("Your review").fill("Arrived in seconds, verified on-chain.");
    await page.getByTestId("review-submit").click();
    await page.getByText("Thank you: your review is published.").waitFor();
    // The order's only key is reviewed: its form is gone, the thanks stays.
    await page.getByTestId("review-form").waitFor({ state: "detached" });
    await page.getByText("Thank you: your review is published.").waitFor();

    await page.goto(`${platform.url}/product/${productId}`);
    const review = page.getByTestId("review");
    await review.getByText("Arrived in seconds, verified on-chain.").waitFor();
    const issued = await queryOne<{ issue_tx: string }>(platform.ctx.database.db, sql`SELECT issue_tx FROM entitlements WHERE id = ${bought.entitlementId}`);
    expect(await review.getByTestId("review-verified").getAttribute("href")).to.equal(`/tx/${issued!.issue_tx}`);
    expect(await page.getByTestId("rating-summary").textContent()).to.contain("4.00 from 1 verified reviews");
    expect(errors).to.deep.equal([]);
  });

  it("shows what was bought together on the product page in Chinese and English, and 'for you' after a purchase", async () => {
    // The reviewer buys a second product; another account buys the first one.
    const companionId = await createProduct(setup, { name: "和平精英 UC 礼包", resaleAllowed: true });
    await importKeys(setup, companionId, randomKeys(1, "WEB"));
    await buyFromShop(platform, setup, buyer, companionId);
    const other = await signUp(platform, "web-recs");
    const otherOrder = await buyFromShop(platform, setup, other, productId);
    // The job reads a signal once no transaction older than it is open: run it until both purchases are counted.
    await waitFor("both purchases counted", async () => {
      await updateRecommendations(platform.ctx.database.db);
      const counted = await queryOne<{ count: number }>(
        platform.ctx.database.db,
        sql`SELECT count(*)::int AS count FROM recommendation_user_items WHERE (account_id, product_id) IN ((${buyer.accountId}, ${companionId}::bigint), (${other.accountId}, ${productId}::bigint))`,
      );
      return counted!.count === 2;
    });

    const zh = await newPage("zh-CN");
    await zh.page.goto(`${platform.url}/product/${productId}`);
    const zhList = zh.page.getByRole("region", { name: "经常一起购买" });
    await zhList.getByRole("link", { name: /和平精英 UC 礼包/ }).waitFor();
    expect(await zhList.getByTestId("recommendation").first().getAttribute("data-product-id")).to.equal(companionId);

    const en = await newPage("en-US");
    await signInThroughPage(en.page, platform.url, { email: other.email, password: "resale-password-1" }, `/product/${companionId}`);
    const enList = en.page.getByRole("region", { name: "Bought together" });
    await enList.getByTestId("recommendation").first().waitFor();
    expect(await enList.getByTestId("recommendation").first().getAttribute("data-product-id")).to.equal(productId);
    await enList.getByRole("link", { name: /王者荣耀点券/ }).click();
    await en.page.waitForURL(`${platform.url}/product/${productId}`);
    // After its purchase, the other account's order page suggests what it has not bought: the
    // product bought with the one it bought.
    await en.page.goto(`${platform.url}/orders/${otherOrder.orderId}`);
    const forYou = en.page.getByRole("region", { name: "For you" });
    await forYou.getByRole("link", { name: /和平精英 UC 礼包/ }).waitFor();
    expect(await forYou.getByRole("link", { name: /王者荣耀点券/ }).count()).to.equal(0);
    expect([...zh.errors, ...en.errors]).to.deep.equal([]);
  });

  it("lets the shop's merchant reply once, and an admin hide the reported review", async () => {
    const merchantEmail = (await setup.merchant.get("/api/me")).body.email as string;
    const merchant = await newPage("zh-CN");
    await signInThroughPage(merchant.page, platform.url, { email: merchantEmail, password: "merchant-password-1" }, `/product/${productId}`);
    await merchant.page.getByLabel("回复此评价（仅一次）").fill("感谢支持！");
    await merchant.page.getByTestId("reply-submit").click();
    await merchant.page.getByTestId("review-reply").filter({ hasText: "感谢支持！" }).waitFor();
    expect(await merchant.page.getByTestId("reply-body").count()).to.equal(0);

    const review = (await platform.http.get(`/api/products/${productId}/reviews`)).body.items[0];
    expect((await buyer.client.post(`/api/reviews/${review.id}/reports`, { reason: "test report" })).status).to.equal(204);
    const staff = await createStaffAccount(platform, "web-moderator", ["admin"]);
    const admin = await newPage("en-US");
    await signInThroughPage(admin.page, platform.url, staff, "/admin/moderation");
    await admin.page.getByTestId("moderated-review").filter({ hasText: "Arrived in seconds" }).waitFor();
    await admin.page.getByTestId("moderation-hide").click();
    await admin.page.getByText("Nothing to moderate").waitFor();
    const after = await platform.http.get(`/api/products/${productId}/reviews`);
    expect(after.body.items).to.deep.equal([]);
    expect(after.body.rating.reviewsCount).to.equal("0");
    expect([...merchant.errors, ...admin.errors]).to.deep.equal([]);
  });
});
