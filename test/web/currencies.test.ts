// Currencies in Chromium (docs/currencies.md, "What the buyer sees"): the merchant ticks the
// currencies the shop accepts on the console (saved in the database; a currency the platform does
// not support is refused with the API's message and changes nothing); a buyer picks USD on the
// storefront and sees a CNY product's price converted at the rate the test set, the figure worked
// out here by hand; the choice survives a reload; EPay cannot take USD, so the checkout says the
// order is charged in CNY; a USD product shown and checked out in CNY records CNY and the rate on
// the order, which the order page shows; a currency the shop does not accept is a 422 that writes
// no order; a stored choice the shop does not (or no longer) accept falls back to each
// product's own currency; and the picker and its note in Chinese.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { createStaffAccount } from "../support/staff.ts";
import { launchBrowser, screenshot, watchPageErrors, type Browser } from "./browser.ts";

/** The manual rate the test sets: CNY per US dollar and per euro. */
const usdRate = "7.2";
const eurRate = "7.8";

describe("currencies in Chromium: the console's accepted currencies, the storefront's picker, checkout and the recorded rate", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let browser: Browser;
  let shop: MerchantSetup;
  let slug: string;
  let cnyProduct: string;
  let usdProduct: string;
  const orderCount = async () => Number((await queryOne<{ n: string }>(platform.database.db, sql`SELECT count(*) AS n FROM orders`))!.n);
  const acceptedInDatabase = async () =>
    (await queryOne<{ accepted_currencies: string[] }>(platform.database.db, sql`SELECT accepted_currencies FROM shops WHERE id = ${shop.shopId}`))!
      .accepted_currencies;

  before(async function () {
    this.timeout(180_000);
    platform = await startTestPlatform();
    browser = await launchBrowser({ locale: "en-US" });
    const admin = await createStaffAccount(platform, "fx-web-admin", ["admin"]);
    for (const [currency, rate] of [
      ["USD", usdRate],
      ["EUR", eurRate],
    ] as const) {
      const set = await admin.http.put(`/api/admin/fx-rates/${currency}`, { cnyPerUnit: rate });
      expect(set.status, set.text).to.equal(200);
    }
    shop = await setupMerchant(platform);
    slug = (await platform.http.get(`/api/shops/${shop.shopId}`)).body.slug;
    // Manual delivery: no stock to import, the checkout form shows at once.
    cnyProduct = await createProduct(shop, { name: "Yuan card", currency: "CNY", priceMinor: "1000", deliveryMode: "manual" });
    usdProduct = await createProduct(shop, { name: "Dollar card", currency: "USD", priceMinor: "1000", deliveryMode: "manual" });
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  async function freshPage(stored: Record<string, unknown> = {}): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    const errors = watchPageErrors(page);
    await page.goto(`${platform.url}/robots.txt`);
    await page.evaluate((entries) => {
      window.localStorage.clear();
      for (const [key, value] of Object.entries({ "kl.lang": "en", ...entries })) window.localStorage.setItem(key, JSON.stringify(value));
    }, stored);
    return { page, errors };
  }

  /** Each product card's price on the shop page, by product id, once the cards show `ready`. */
  async function cardPrices(page: Page): Promise<Record<string, string>> {
    const prices: Record<string, string> = {};
    for (const card of await page.getByTestId("product-card").all()) {
      prices[(await card.getAttribute("data-product-id"))!] = (await card.getByTestId("product-price").textContent())!;
    }
    return prices;
  }

  it("the merchant ticks CNY, USD and EUR on the console: saved in the database; an unsupported currency is refused with the API's message", async () => {
    const me = await shop.merchant.get("/api/me");
    const { page, errors } = await freshPage({ "kl.session": { token: shop.merchant.token, account: me.body } });
    await page.goto(`${platform.url}/merchant/settings`);
    const form = page.getByTestId("currencies-form");
    await form.waitFor();
    // Offered: the fiat currencies and the platform's stablecoin; none ticked yet.
    expect(await form.locator('input[type="checkbox"]').count()).to.equal(5);
    expect(await page.getByTestId("currency-accept-USDK").isChecked()).to.equal(false);
    for (const currency of ["CNY", "USD", "EUR"]) await page.getByRole("checkbox", { name: currency, exact: true }).check();
    await page.getByTestId("currencies-save").click();
    await page.getByTestId("currencies-saved").waitFor();
    expect(await acceptedInDatabase()).to.deep.equal(["CNY", "USD", "EUR"]);

    // A request carrying a currency the platform does not know (as an outdated page or a script
    // might send): the API's 400 is shown as it words it, and the saved list stays.
    await page.route("**/api/shops/*/currencies", async (route) => {
      if (route.request().method() !== "PUT") return route.continue();
      return route.continue({ postData: JSON.stringify({ accepted: ["CNY", "USD", "EUR", "XYZ"] }) });
    });
    await page.getByRole("checkbox", { name: "HKD", exact: true }).check();
    await page.getByTestId("currencies-save").click();
    const refusal = form.getByTestId("error-notice");
    await refusal.waitFor();
    expect(await refusal.getAttribute("data-code")).to.equal("validation_failed");
    expect(await refusal.textContent()).to.include("The platform does not support XYZ.");
    expect(await acceptedInDatabase()).to.deep.equal(["CNY", "USD", "EUR"]);
    await screenshot(page, "web/currencies", "console");
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("a buyer picks USD: prices converted at the platform's rate with the rate shown, kept after a reload; EPay charges the CNY product in CNY", async () => {
    const { page, errors } = await freshPage();
    await page.goto(`${platform.url}/shop/${slug}`);
    const picker = page.getByLabel("Currency");
    await picker.waitFor();
    expect(await picker.locator("option").allTextContents()).to.have.members(["CNY", "USD", "EUR"]);
    await picker.selectOption("USD");
    // By hand: ¥10.00 is 1,000 fen; 1,000 / 7.2 = 138.89 cents, half up 139: $1.39. The USD product stays $10.00.
    await page.waitForFunction(() => document.querySelector('[data-testid="currency-rate-note"]') !== null);
    expect(await cardPrices(page)).to.deep.equal({ [cnyProduct]: "$1.39", [usdProduct]: "$10.00" });
    expect(await page.getByTestId("currency-rate-note").textContent()).to.equal("Prices converted at the platform's rate: 1 USD = 7.2 CNY");
    expect(JSON.parse((await page.evaluate(() => window.localStorage.getItem("kl.currency")))!)).to.equal("USD");

    // EUR: 1,000 / 7.8 = 128.21 cents → €1.28; the USD product 1,000 × 7.2 / 7.8 = 923.08 → €9.23.
    await picker.selectOption("EUR");
    await page.waitForFunction(() => document.querySelector('[data-testid="currency-rate-note"]')?.textContent?.includes("EUR"));
    expect(await cardPrices(page)).to.deep.equal({ [cnyProduct]: "€1.28", [usdProduct]: "€9.23" });
    await picker.selectOption("USD");

    // The choice persists: a new load of the product page shows dollars again.
    await page.goto(`${platform.url}/product/${cnyProduct}`);
    await page.getByTestId("currency-rate-note").waitFor();
    expect(await page.getByTestId("product-price").textContent()).to.equal("$1.39");
    expect(await page.getByTestId("currency-rate-note").textContent()).to.equal("Converted from ¥10.00 at the platform's rate: 1 USD = 7.2 CNY");
    expect(await page.getByLabel("Currency").inputValue()).to.equal("USD");
    // EPay takes CNY only: the checkout charges the product's ¥10.00 and says what that is in dollars.
    await page.getByTestId("checkout-charged-in").waitFor();
    expect(await page.getByTestId("checkout-total").textContent()).to.equal("¥10.00");
    expect(await page.getByTestId("checkout-charged-in").textContent()).to.equal("Paid this way, the order is charged in CNY: ¥10.00 (about $1.39).");
    await screenshot(page, "web/currencies", "product-usd");
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("a USD product checked out in CNY: the order is charged the quoted yuan and records CNY and the rate, shown on the order page", async () => {
    const { page, errors } = await freshPage({ "kl.currency": "USD" });
    await page.goto(`${platform.url}/product/${usdProduct}`);
    await page.getByLabel("Currency").selectOption("CNY");
    // By hand: $10.00 = 1,000 cents × 7.2 = 7,200 fen: ¥72.00.
    await page.getByTestId("checkout-fx-rate").waitFor();
    expect(await page.getByTestId("product-price").textContent()).to.equal("¥72.00");
    expect(await page.getByTestId("checkout-total").textContent()).to.equal("¥72.00");
    expect(await page.getByTestId("checkout-fx-rate").textContent()).to.equal(
      "Price $10.00, converted at the platform's rate 1 USD = 7.2 CNY; the order records this rate.",
    );
    await page.getByTestId("checkout-contact").fill("fx-web@example.com");
    await page.getByTestId("checkout-query-password").fill("fx-web-password");
    // The real answer is passed through as is; the test keeps its access token to open the order page.
    let created: { status: number; body: { order: { id: string }; accessToken: string } } | undefined;
    let sent: Record<string, unknown> | undefined;
    await page.route("**/api/orders", async (route) => {
      sent = route.request().postDataJSON();
      const response = await route.fetch();
      created = { status: response.status(), body: await response.json() };
      await route.fulfill({ response });
    });
    await page.getByTestId("checkout-submit").click();
    await page.waitForURL((url) => !url.pathname.startsWith("/product/"));
    expect(sent?.currency).to.equal("CNY");
    expect(created?.status).to.equal(201);
    const stored = await queryOne<{ currency: string; amount_minor: string; price_currency: string; price_amount_minor: string; fx_rate: string }>(
      platform.database.db,
      sql`SELECT currency, amount_minor::text, price_currency, price_amount_minor::text, fx_rate::text FROM orders WHERE id = ${created!.body.order.id}`,
    );
    expect(stored).to.deep.equal({ currency: "CNY", amount_minor: "7200", price_currency: "USD", price_amount_minor: "1000", fx_rate: "7.200000000000" });

    await page.goto(`${platform.url}/orders/${created!.body.order.id}?token=${encodeURIComponent(created!.body.accessToken)}`);
    await page.getByTestId("order-fx").waitFor();
    expect(await page.getByTestId("order-fx").textContent()).to.equal("Priced $10.00; exchange rate recorded on the order: 1 USD = 7.2 CNY");
    await screenshot(page, "web/currencies", "order");
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("a currency the shop does not accept, asked through the API: 422 currency_not_accepted, no order written", async () => {
    const before = await orderCount();
    const placed = await platform.http.post("/api/orders", {
      productId: cnyProduct,
      quantity: 1,
      contact: "fx-hkd@example.com",
      queryPassword: "fx-web-password",
      currency: "HKD",
    });
    expect([placed.status, placed.body.code]).to.deep.equal([422, "currency_not_accepted"]);
    const quote = await platform.http.post(`/api/products/${cnyProduct}/quote`, { quantity: 1, currency: "HKD" });
    expect([quote.status, quote.body.code]).to.deep.equal([422, "currency_not_accepted"]);
    expect(await orderCount()).to.equal(before);
  });

  it("a stored choice the shop does not accept, or no longer accepts, falls back to each product's own currency", async () => {
    // HKD was never accepted: the picker shows a pricing currency and every price is its product's own.
    const first = await freshPage({ "kl.currency": "HKD" });
    await first.page.goto(`${platform.url}/shop/${slug}`);
    await first.page.getByLabel("Currency").waitFor();
    expect(["CNY", "USD"]).to.include(await first.page.getByLabel("Currency").inputValue());
    expect(await cardPrices(first.page)).to.deep.equal({ [cnyProduct]: "¥10.00", [usdProduct]: "$10.00" });
    expect(await first.page.getByTestId("currency-rate-note").count()).to.equal(0);
    // The stored choice is kept for shops that accept it.
    expect(JSON.parse((await first.page.evaluate(() => window.localStorage.getItem("kl.currency")))!)).to.equal("HKD");
    expect(first.errors).to.deep.equal([]);
    await first.page.close();

    // USD chosen, then the merchant stops accepting it: the CNY product is back in yuan, the picker on CNY.
    const unticked = await shop.merchant.put(`/api/shops/${shop.shopId}/currencies`, { accepted: ["CNY", "EUR"] });
    expect(unticked.status, unticked.text).to.equal(200);
    const second = await freshPage({ "kl.currency": "USD" });
    await second.page.goto(`${platform.url}/product/${cnyProduct}`);
    await second.page.getByLabel("Currency").waitFor();
    expect(await second.page.getByLabel("Currency").inputValue()).to.equal("CNY");
    expect(await second.page.getByLabel("Currency").locator("option").allTextContents()).to.deep.equal(["CNY", "EUR"]);
    expect(await second.page.getByTestId("product-price").textContent()).to.equal("¥10.00");
    expect(await second.page.getByTestId("currency-rate-note").count()).to.equal(0);
    expect(second.errors).to.deep.equal([]);
    await second.page.close();
  });

  it("in Chinese: the picker's label and the rate note", async () => {
    // The shop now accepts CNY and EUR (the test before). By hand: 1,000 fen / 7.8 = 128.21 cents, half up: €1.28.
    const { page, errors } = await freshPage({ "kl.lang": "zh", "kl.currency": "EUR" });
    await page.goto(`${platform.url}/shop/${slug}`);
    await page.getByTestId("currency-rate-note").waitFor();
    expect(await page.getByLabel("币种").inputValue()).to.equal("EUR");
    // The USD product converts too: 7.8 / 7.2 = 1.0833…, to 12 places 1.083333333333; 1,000 cents × 7.2 / 7.8 = 923.08: €9.23.
    expect(await page.getByTestId("currency-rate-note").textContent()).to.equal("价格按平台汇率换算：1 EUR = 7.8 CNY, 1 EUR = 1.083333333333 USD");
    expect(await cardPrices(page)).to.deep.equal({ [cnyProduct]: "€1.28", [usdProduct]: "€9.23" });
    expect(errors).to.deep.equal([]);
    await page.close();
  });
});
