// The auto-restock control of a docked listing in a real browser (Debian's Chromium) against the
// running platform (docs/docking.md, "Auto-restock"): the reseller sets threshold, keys per
// restock, cap and budget from the merchant console, and the database holds that rule and the
// restock it made at once, computed here by hand; inconsistent numbers are refused with the
// server's code and change nothing; in Chinese the reseller turns it off and the allocation goes
// back to the supplier.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { queryOne, sql } from "../../core/store/database.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { launchBrowser, screenshot, signInThroughPage, viewports, watchPageErrors, type Browser } from "./browser.ts";

const folder = "web-docking-restock";

describe("auto-restock control in Chromium (set, refused, turned off; en and zh-CN)", function () {
  this.timeout(240_000);
  let platform: TestPlatform;
  let browser: Browser;
  let reseller: MerchantSetup & { email: string };
  let supplyProductId: string;
  let listingId: string;

  before(async function () {
    this.timeout(240_000);
    platform = await startTestPlatform();
    browser = await launchBrowser({ locale: "en-US" });
    const supplier = await setupMerchant(platform);
    const resellerSetup = await setupMerchant(platform);
    reseller = { ...resellerSetup, email: (await resellerSetup.merchant.get("/api/me")).body.email as string };
    supplyProductId = await createProduct(supplier, { name: "Restocked card", priceMinor: "1000" });
    await importKeys(supplier, supplyProductId, randomKeys(10, "WEBRESTOCK"));
    const offered = await supplier.merchant.put(`/api/shops/${supplier.shopId}/docking/offers/${supplyProductId}`, { wholesalePriceMinor: "800" });
    expect(offered.status, offered.text).to.equal(200);
    const listed = await reseller.merchant.post(`/api/shops/${reseller.shopId}/docking/listings`, {
      supplyProductId,
      name: "Resold restocked card",
      priceMinor: "1250",
    });
    expect(listed.status, listed.text).to.equal(201);
    listingId = listed.body.productId;
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  const rule = () =>
    queryOne<{ threshold: number; batch_keys: number; max_keys: number; budget_remaining_minor: string; restocked_keys: string; enabled: boolean }>(
      platform.database.db,
      sql`SELECT threshold, batch_keys, max_keys, budget_remaining_minor::text, restocked_keys::text, enabled
          FROM docking_restock_rules WHERE listing_product_id = ${listingId}`,
    );
  const allocated = async () =>
    Number(
      (await queryOne<{ count: string }>(
        platform.database.db,
        sql`SELECT count(*)::text AS count FROM keys WHERE allocated_product_id = ${listingId} AND status = 'available'`,
      ))!.count,
    );

  async function restockForm(page: Page, title: string) {
    const panel = page.getByTestId(`restock-${listingId}`);
    await panel.locator("summary").click();
    return { panel, form: panel.getByRole("form", { name: title }) };
  }

  it("sets threshold, keys per restock, cap and budget; the database holds the rule and the restock made at once", async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewports.desktop);
    const errors = watchPageErrors(page);
    await signInThroughPage(page, platform.url, { email: reseller.email, password: "merchant-password-1" }, "/merchant");
    await page.getByTestId("merchant-tab-docking").click();
    const { panel, form } = await restockForm(page, "Auto-restock: Resold restocked card");

    // A cap below the keys per restock: refused by the server with its code, nothing written.
    await form.getByLabel("Restock below (keys)").fill("3");
    await form.getByLabel("Keys per restock").fill("4");
    await form.getByLabel("Hold at most (keys)").fill("2");
    await form.getByLabel("Budget").fill("40.00");
    await form.getByRole("button", { name: "Save auto-restock" }).click();
    const refusal = form.getByTestId("error-notice");
    await refusal.waitFor();
    expect(await refusal.getAttribute("data-code")).to.equal("validation_failed");
    expect(await rule()).to.equal(undefined);

    await form.getByLabel("Hold at most (keys)").fill("8");
    await form.getByRole("button", { name: "Save auto-restock" }).click();
    const status = panel.getByTestId("restock-status");
    await status.waitFor();
    // By hand: the allocation (0) is below 3, so a restock at once of min(N 4, cap 8 - 0,
    // budget 4000 / wholesale 800 = 5, free keys 10) = 4 keys, costing 4 x 800 = 3200 of 4000.
    expect(await rule()).to.deep.equal({
      threshold: 3,
      batch_keys: 4,
      max_keys: 8,
      budget_remaining_minor: "800",
      restocked_keys: "4",
      enabled: true,
    });
    expect(await allocated()).to.equal(4);
    expect(await status.textContent()).to.contain("4 keys allocated, ¥8.00 of budget left");
    await screenshot(page, folder, "01-restock-set");
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("turns it off in Chinese: the rule is disabled and the allocation goes back to the supplier", async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewports.desktop);
    const errors = watchPageErrors(page);
    await signInThroughPage(page, platform.url, { email: reseller.email, password: "merchant-password-1" }, "/merchant");
    await page.getByTestId("merchant-tab-docking").click();
    await page.getByTestId("lang-switch").click();
    const { panel, form } = await restockForm(page, "自动补货：Resold restocked card");
    // The form starts from the rule as stored.
    expect(await form.getByLabel("低于此数量补货").inputValue()).to.equal("3");
    expect(await form.getByLabel("最多持有数量").inputValue()).to.equal("8");
    await form.getByLabel("预算").fill("0");
    await form.getByLabel("开启自动补货").uncheck();
    await form.getByRole("button", { name: "保存自动补货" }).click();
    await panel.getByTestId("restock-status").filter({ hasText: "已关闭" }).waitFor();
    expect(await rule()).to.deep.equal({
      threshold: 3,
      batch_keys: 4,
      max_keys: 8,
      budget_remaining_minor: "0",
      restocked_keys: "4",
      enabled: false,
    });
    expect(await allocated()).to.equal(0);
    await screenshot(page, folder, "02-restock-off-zh");
    expect(errors).to.deep.equal([]);
    await page.close();
  });
});
