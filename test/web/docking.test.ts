// The docking screens in a real browser (Debian's Chromium) against the running platform
// (docs/docking.md): a supplier offers a product from the merchant console; a reseller finds it
// among the offers, is refused a price at the wholesale (the server's code shown), lists it at
// a higher price, and the listing shows in the reseller's storefront with the supplier's stock;
// the supplier stops supplying and the reseller's list says so. Then the same console in Chinese.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { launchBrowser, screenshot, signInThroughPage, viewports, watchPageErrors, type Browser } from "./browser.ts";

const folder = "web-docking";

describe("docking screens in Chromium (offer, browse, list, stop; en and zh-CN)", function () {
  this.timeout(240_000);
  let platform: TestPlatform;
  let browser: Browser;
  let supplier: MerchantSetup & { email: string };
  let reseller: MerchantSetup & { email: string };
  let productId: string;

  before(async function () {
    this.timeout(240_000);
    platform = await startTestPlatform();
    browser = await launchBrowser({ locale: "en-US" });
    const [a, b] = await Promise.all([setupMerchant(platform), setupMerchant(platform)]);
    const emailOf = async (setup: MerchantSetup) => (await setup.merchant.get("/api/me")).body.email as string;
    supplier = { ...a, email: await emailOf(a) };
    reseller = { ...b, email: await emailOf(b) };
    productId = await createProduct(supplier, { name: "Supplied game card", priceMinor: "1000" });
    await importKeys(supplier, productId, randomKeys(4, "WEBDOCK"));
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  async function consolePage(email: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewports.desktop);
    const errors = watchPageErrors(page);
    await signInThroughPage(page, platform.url, { email, password: "merchant-password-1" }, "/merchant");
    await page.getByTestId("merchant-tab-docking").click();
    return { page, errors };
  }

  it("offers, lists above the wholesale (refused at it), shows the listing with the supplier's stock, and stops", async () => {
    const supply = await consolePage(supplier.email);
    const offerForm = supply.page.getByTestId("docking-offer-form");
    await offerForm.getByLabel("Product").selectOption({ label: "Supplied game card (¥10.00)" });
    await offerForm.getByLabel("Wholesale price").fill("8.00");
    await offerForm.getByRole("button", { name: "Offer" }).click();
    const myOffers = supply.page.getByTestId("docking-my-offers");
    await myOffers.getByRole("row", { name: /Supplied game card/ }).waitFor();
    expect(await myOffers.getByRole("row", { name: /Supplied game card/ }).textContent())
      .to.contain("¥8.00")
      .and.contain("Supplying");
    await screenshot(supply.page, folder, "01-supplier-offered");

    const resell = await consolePage(reseller.email);
    const form = resell.page.getByRole("form", { name: "List Supplied game card in my shop" });
    await form.getByLabel("Your title").fill("Resold game card");
    await form.getByLabel("Your price").fill("8.00");
    await form.getByRole("button", { name: "List in my shop" }).click();
    const refusal = form.getByTestId("error-notice");
    await refusal.waitFor();
    expect(await refusal.getAttribute("data-code")).to.equal("docking_price_too_low");
    await form.getByLabel("Your price").fill("12.50");
    await form.getByRole("button", { name: "List in my shop" }).click();
    const listings = resell.page.getByTestId("docking-listings");
    await listings.getByRole("row", { name: /Resold game card/ }).waitFor();
    expect(await listings.getByRole("row", { name: /Resold game card/ }).textContent())
      .to.contain("¥12.50")
      .and.contain("¥8.00");
    await screenshot(resell.page, folder, "02-reseller-listed");

    // The storefront: the reseller's title and price, the supplier's four keys as its stock.
    const shop = (await platform.http.get(`/api/shops/${reseller.shopId}`)).body as { slug: string };
    await resell.page.goto(`${platform.url}/shop/${shop.slug}`);
    const card = resell.page.getByTestId("product-card").filter({ hasText: "Resold game card" });
    await card.waitFor();
    expect(await card.textContent()).to.contain("¥12.50");
    const listed = (await reseller.merchant.get(`/api/shops/${reseller.shopId}/docking`)).body.listings[0];
    expect((await platform.http.get(`/api/products/${listed.productId}`)).body.stock).to.equal(4);
    await screenshot(resell.page, folder, "03-reseller-storefront");

    await myOffers
      .getByRole("row", { name: /Supplied game card/ })
      .getByRole("button", { name: "Stop supplying" })
      .click();
    await myOffers.getByRole("row", { name: /Stopped/ }).waitFor();
    await resell.page.goto(`${platform.url}/merchant/docking`);
    await resell.page
      .getByTestId("docking-listings")
      .getByRole("row", { name: /Stopped/ })
      .waitFor();
    expect(supply.errors).to.deep.equal([]);
    expect(resell.errors).to.deep.equal([]);
    await supply.page.close();
    await resell.page.close();
  });

  it("shows the docking tab in Chinese", async () => {
    const { page, errors } = await consolePage(supplier.email);
    await page.getByTestId("lang-switch").click();
    await page.getByRole("heading", { name: "向其他店铺供货" }).waitFor();
    await page.getByRole("heading", { name: "可对接的货源" }).waitFor();
    expect(await page.getByTestId("merchant-tab-docking").textContent()).to.equal("货源对接");
    await screenshot(page, folder, "04-zh");
    expect(errors).to.deep.equal([]);
    await page.close();
  });
});
