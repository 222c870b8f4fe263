// Share-to-earn in Chromium (docs/distribution.md, "Share-to-earn"), in English and Chinese:
// buyer A's product page shows a "Share and earn" box with its personal link and the product's
// first-level rate (a product paying no commission says so); buyer B opens the link as a guest,
// signs in (the referral is attached after sign-in) and buys; A's "My earnings" page shows the
// commission worked out here by hand, and B's email only masked.
import { expect } from "chai";
import { acceptCarefully } from "../../api/services/orders/acceptPayment.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, signInThroughPage, watchPageErrors, type Browser } from "./browser.ts";

describe("share-to-earn in Chromium", function () {
  this.timeout(180_000);
  let platform: TestPlatform;
  let english: Browser;
  let chinese: Browser;
  let shop: MerchantSetup;
  let sharedProduct: string;
  let plainProduct: string;
  const sharer = { email: `sharer-${Date.now()}@example.com`, password: "sharer-password-1", id: "", token: "", code: "" };
  const friend = { email: `friend-${Date.now()}@example.com`, password: "friend-password-1", id: "", token: "" };

  before(async function () {
    this.timeout(180_000);
    platform = await startTestPlatform({ env: { PLATFORM_FEE_BPS: "500" } });
    shop = await setupMerchant(platform);
    sharedProduct = await createProduct(shop, { name: "Shared card", deliveryMode: "manual", priceMinor: "1999" });
    plainProduct = await createProduct(shop, { name: "Plain card", deliveryMode: "manual", priceMinor: "500" });
    // The shop pays nothing; the shared product's override pays 15.37% at the first level.
    expect((await shop.merchant.put(`/api/shops/${shop.shopId}/commission-rates`, { levelsBps: [0, 0, 0] })).status).to.equal(200);
    const override = await shop.merchant.put(`/api/shops/${shop.shopId}/commission-rates`, { productId: sharedProduct, levelsBps: [1537, 0, 0] });
    expect(override.status, override.text).to.equal(200);
    for (const person of [sharer, friend]) {
      const signup = await platform.http.post("/api/auth/signup", { email: person.email, password: person.password });
      expect(signup.status, signup.text).to.equal(201);
      person.id = signup.body.account.id;
      person.token = signup.body.token;
    }
    sharer.code = (await platform.http.as(sharer.token).get("/api/agent/overview")).body.referralCode;
    expect(sharer.code).to.match(/^[0-9A-Z]{10}$/);
    english = await launchBrowser({ locale: "en-US" });
    chinese = await launchBrowser({ locale: "zh-CN" });
  });
  after(async () => {
    await english?.close();
    await chinese?.close();
    await platform?.stopAll();
  });

  const cases = [
    { lang: "en", browser: () => english, rate: "15.37%", none: "sharing it earns nothing", title: "Share and earn", earnings: "My earnings" },
    { lang: "zh", browser: () => chinese, rate: "15.37%", none: "分享不会带来收益", title: "分享赚佣金", earnings: "我的收益" },
  ];

  for (const lang of cases) {
    it(`(${lang.lang}) the sharer's product page shows its personal link and the first-level rate`, async () => {
      const page = await lang.browser().context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, sharer, "/me/orders");
      await page.goto(`${platform.url}/product/${sharedProduct}`);
      const box = page.getByTestId("share-box");
      await box.getByRole("heading", { name: lang.title }).waitFor();
      expect(await page.getByTestId("share-link").inputValue()).to.equal(`${platform.url}/product/${sharedProduct}?ref=${sharer.code}`);
      expect(await page.getByTestId("share-rate").textContent()).to.contain(lang.rate);
      await page.goto(`${platform.url}/product/${plainProduct}`);
      await page.getByTestId("share-none").waitFor();
      expect(await page.getByTestId("share-none").textContent()).to.contain(lang.none);
      expect(await page.getByTestId("share-link").count()).to.equal(0);
      expect(errors).to.deep.equal([]);
      await page.close();
    });
  }

  it("a friend opens the link as a guest, signs in and buys; the sharer is credited floor(net x 15.37%)", async () => {
    // The friend's own browser (the sharer is signed in in the other two).
    const friendBrowser = await launchBrowser({ locale: "en-US" });
    const page = await friendBrowser.context.newPage();
    await page.goto(`${platform.url}/product/${sharedProduct}?ref=${sharer.code}`);
    await page.getByTestId("product-title").waitFor();
    await signInThroughPage(page, platform.url, friend, "/me/orders");
    const attached = await waitFor("the referral attached after sign-in", async () => {
      const row = await queryOne<{ referrer: string }>(
        platform.database.db,
        sql`SELECT referrer_account_id::text AS referrer FROM referral_attachments WHERE buyer_account_id = ${friend.id} AND shop_id = ${shop.shopId}`,
      );
      return row ?? undefined;
    });
    expect(attached.referrer).to.equal(sharer.id);
    await friendBrowser.close();

    const placed = await platform.http.as(friend.token).post("/api/orders", { productId: sharedProduct, quantity: 1, paymentMethod: "chain" });
    expect(placed.status, placed.text).to.equal(201);
    const { outcome } = await acceptCarefully(
      platform.database.db,
      { platformFeeBps: 500 },
      { orderId: placed.body.order.id, provider: "chain", providerRef: "0xshare-web", amountMinor: 1999n, currency: "CNY" },
    );
    expect(outcome).to.equal("accepted");
  });

  for (const lang of cases) {
    it(`(${lang.lang}) the sharer's "My earnings" shows the commission and the friend masked`, async () => {
      const page = await lang.browser().context.newPage();
      const errors = watchPageErrors(page);
      await page.goto(`${platform.url}/me/earnings`);
      await page.getByRole("heading", { name: lang.earnings, level: 1 }).waitFor();
      // By hand: fee floor(1999 x 5%) = 99, net 1900, level 1 floor(1900 x 15.37%) = floor(292.03) = 292: 2.92 held.
      await page.getByTestId("earnings-balances").waitFor();
      expect(await page.getByTestId("earnings-balances").locator("tbody td").first().textContent()).to.contain("2.92");
      expect(await page.getByTestId("earnings-sales").textContent()).to.contain("2.92");
      const masked = `${friend.email[0]}***${friend.email.slice(friend.email.indexOf("@") - 1)}`;
      expect((await page.getByTestId("earnings-referred").textContent())?.trim()).to.contain(masked);
      expect(await page.content()).not.to.contain(friend.email);
      expect(errors).to.deep.equal([]);
      await page.close();
    });
  }
});
