// The merchant console's API keys tab in a real browser (Debian's Chromium) against the running
// platform (docs/api-keys.md): create a key with scopes, an expiry and an allow-list; its secret
// is shown once with a copy button, and the key it shows works through the API within its
// scopes only; after a reload the secret is nowhere on the page; a bad network is refused with
// the server's code; revoking it from the list stops it. Then the same tab in Chinese.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { queryOne, sql } from "../../core/store/database.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { launchBrowser, screenshot, signInThroughPage, viewports, watchPageErrors, type Browser } from "./browser.ts";

const folder = "web-api-keys";

describe("API keys tab in Chromium (create, secret once, list, revoke; en and zh-CN)", function () {
  this.timeout(240_000);
  let platform: TestPlatform;
  let browser: Browser;
  let merchant: MerchantSetup & { email: string };
  let productId: string;

  before(async function () {
    this.timeout(240_000);
    platform = await startTestPlatform();
    browser = await launchBrowser({ locale: "en-US" });
    const setup = await setupMerchant(platform);
    merchant = { ...setup, email: (await setup.merchant.get("/api/me")).body.email as string };
    productId = await createProduct(merchant, { name: "Keyed card" });
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  async function keysTab(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewports.desktop);
    const errors = watchPageErrors(page);
    await signInThroughPage(page, platform.url, { email: merchant.email, password: "merchant-password-1" }, "/merchant");
    await page.getByTestId("merchant-tab-apiKeys").click();
    return { page, errors };
  }
  const withKey = (secret: string) => platform.http.as(secret);

  it("creates a key whose secret is shown once and works within its scopes, refuses a bad network, and revokes it", async () => {
    const { page, errors } = await keysTab();
    const form = page.getByRole("form", { name: "Create an API key" });
    await form.getByLabel("Name").fill("ERP sync");
    await form.getByLabel(/products:read/).check();
    await form.getByLabel(/orders:read/).check();
    await form.getByLabel("Allowed networks").fill("10.0.0.0/33");
    await form.getByRole("button", { name: "Create key" }).click();
    const refusal = form.getByTestId("error-notice");
    await refusal.waitFor();
    expect(await refusal.getAttribute("data-code")).to.equal("validation_failed");
    expect(await refusal.textContent()).to.contain("10.0.0.0/33");

    await form.getByLabel("Allowed networks").fill("127.0.0.0/8\n::1/128");
    await form.getByLabel("Expires").fill(`${new Date().getUTCFullYear() + 1}-01-31`);
    await form.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByTestId("api-key-secret");
    await shown.waitFor();
    expect(await shown.textContent()).to.contain("shown this once");
    const secret = (await page.getByTestId("api-key-secret-value").textContent())!.trim();
    expect(secret).to.match(/^kl_live_\d+_[A-Za-z0-9_-]{43}$/);
    await page.getByTestId("api-key-copy").click();
    // The label changes once the clipboard write resolves (a turn later on a loaded machine).
    await page.getByTestId("api-key-copy").filter({ hasText: "Copied" }).waitFor({ timeout: 5_000 });
    await screenshot(page, folder, "01-secret-shown");

    // The key as created: its scopes, expiry and networks in the database, and through the API.
    const row = await queryOne<{ scopes: string[]; expires_at: Date; networks: string[] }>(
      platform.database.db,
      sql`SELECT scopes, expires_at, allowed_networks::text[] AS networks FROM api_keys WHERE name = 'ERP sync'`,
    );
    expect(row!.scopes).to.deep.equal(["products:read", "orders:read"]);
    expect(new Date(row!.expires_at).toISOString()).to.equal(`${new Date().getUTCFullYear() + 1}-01-31T23:59:59.000Z`);
    expect(row!.networks).to.deep.equal(["127.0.0.0/8", "::1/128"]);
    expect((await withKey(secret).get(`/api/products/${productId}`)).status).to.equal(200);
    const outOfScope = await withKey(secret).patch(`/api/products/${productId}`, { description: "by a key" });
    expect(outOfScope.body.code).to.equal("api_key_scope");

    // Listed without its secret, which no reload shows again.
    await page.reload();
    const table = page.getByTestId("api-keys-table");
    const listed = table.getByRole("row", { name: /ERP sync/ });
    await listed.waitFor();
    expect(await listed.textContent())
      .to.contain("products:read, orders:read")
      .and.contain("127.0.0.0/8")
      .and.contain("Active");
    expect(await page.content()).not.to.contain(secret.slice(-43));

    await listed.getByRole("button", { name: "Revoke the key ERP sync" }).click();
    await table.getByRole("row", { name: /ERP sync.*Revoked/ }).waitFor();
    const revoked = await withKey(secret).get(`/api/products/${productId}`);
    expect(revoked.status).to.equal(401);
    expect(revoked.body.code).to.equal("api_key_revoked");
    await screenshot(page, folder, "02-revoked");
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("a reseller who is not a merchant manages its keys in the agent console", async () => {
    const email = `reseller-${Date.now()}@example.com`;
    const signup = await platform.http.post("/api/auth/signup", { email, password: "reseller-password-1", roles: ["reseller"] });
    expect(signup.status, signup.text).to.equal(201);
    const page = await browser.context.newPage();
    const errors = watchPageErrors(page);
    await signInThroughPage(page, platform.url, { email, password: "reseller-password-1" }, "/agent");
    const form = page.getByRole("form", { name: "Create an API key" });
    await form.getByLabel("Name").fill("Agent report");
    await form.getByLabel(/ledger:read/).check();
    await form.getByRole("button", { name: "Create key" }).click();
    const secret = (await page.getByTestId("api-key-secret-value").textContent())!.trim();
    const overview = await withKey(secret).get("/api/agent/overview");
    expect(overview.status, overview.text).to.equal(200);
    expect((await withKey(secret).get("/api/me")).body.code).to.equal("api_key_scope");
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("shows the tab in Chinese and creates a key there", async () => {
    const { page, errors } = await keysTab();
    await page.getByTestId("lang-switch").click();
    const form = page.getByRole("form", { name: "创建 API 密钥" });
    await form.waitFor();
    expect(await page.getByTestId("merchant-tab-apiKeys").textContent()).to.equal("API 密钥");
    await form.getByLabel("名称").fill("库存同步");
    await form.getByLabel(/读取店铺和商品/).check();
    await form.getByRole("button", { name: "创建密钥" }).click();
    const shown = page.getByTestId("api-key-secret");
    await shown.waitFor();
    expect(await shown.textContent())
      .to.contain("您的新 API 密钥")
      .and.contain("只显示这一次");
    const secret = (await page.getByTestId("api-key-secret-value").textContent())!.trim();
    expect((await withKey(secret).get(`/api/products/${productId}`)).status).to.equal(200);
    await page
      .getByTestId("api-keys-table")
      .getByRole("row", { name: /库存同步.*有效/ })
      .waitFor();
    await screenshot(page, folder, "03-zh");
    expect(errors).to.deep.equal([]);
    await page.close();
  });
});
