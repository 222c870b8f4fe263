// The merchant console's logo, custom domain, plan and platform invoice screens in Chromium
// (docs/saas.md), each checked against the database afterwards. English at 1280 px: a text file
// named .png is refused by content (nothing stored), a PNG is stored byte for byte and previewed,
// replaced and removed; a domain is claimed, its TXT record shown, a check before the record is
// published fails with the server's reason, and once the record is on a local DNS server (the
// resolver the platform is pointed at) it is verified. Chinese at 360 px: the plan's fee and each
// limit with its usage (counted by hand: the seed's five products and twelve keys less the one
// sold, one live API key and one revoked), and this month's invoice after a paid sale whose fee is computed here (4800 x 2.5% =
// 120), downloaded as CSV.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { demoApi } from "../../scripts/lib/demoApi.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { startDnsServer, type TestDnsServer } from "../saas/dnsServer.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, signInThroughPage, viewports, watchPageErrors } from "./browser.ts";

// A 1x1 PNG; the replacement is the same image with bytes after its end (still a PNG, other bytes).
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
const pngAgain = Buffer.concat([png, Buffer.from("v2")]);
const keysPerProduct = 3;

describe("merchant logo, custom domain, plan usage and platform invoices in Chromium (en, zh-CN)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer();
    platform = await startTestPlatform({ seed: true, keysPerProduct, env: { DNS_SERVERS: `127.0.0.1:${dns.port}` } });
  });
  after(async () => {
    await platform?.stopAll();
    await dns?.stop();
  });

  const row = <T>(query: ReturnType<typeof sql>) => queryOne<T>(platform.database.db, query);
  const demoShopId = async () => BigInt((await row<{ id: string }>(sql`SELECT id::text FROM shops WHERE slug = 'demo'`))!.id);

  it("en: logo refused by content, stored, previewed, replaced and removed; domain claimed, refused before the TXT record, then verified", async () => {
    const shopId = await demoShopId();
    const logoOf = () => row<{ md5: string | null; logo_type: string | null }>(sql`SELECT md5(logo) AS md5, logo_type FROM shops WHERE id = ${shopId}`);
    const md5 = async (bytes: Buffer) => (await row<{ md5: string }>(sql`SELECT md5(${bytes}::bytea) AS md5`))!.md5;
    const browser = await launchBrowser({ locale: "en-US" });
    try {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, platform.logins.merchant, "/merchant/profile");

      const logo = page.getByTestId("logo-section");
      await logo.getByTestId("logo-none").waitFor();
      await logo.getByTestId("logo-file").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: Buffer.from("just some text") });
      await logo.getByRole("button", { name: "Upload the logo" }).click();
      await logo.locator('[data-testid="error-notice"][data-code="document_type_refused"]').waitFor();
      expect(await logoOf()).to.deep.equal({ md5: null, logo_type: null });

      await logo.getByTestId("logo-file").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: png });
      await logo.getByRole("button", { name: "Upload the logo" }).click();
      const preview = logo.getByRole("img", { name: "Logo of" });
      await preview.waitFor();
      await page.waitForFunction(() => (document.querySelector('[data-testid="logo-preview"]') as HTMLImageElement | null)?.naturalWidth === 1);
      expect(await logoOf()).to.deep.equal({ md5: await md5(png), logo_type: "image/png" });

      await logo.getByTestId("logo-file").setInputFiles({ name: "logo2.png", mimeType: "image/png", buffer: pngAgain });
      await logo.getByRole("button", { name: "Replace the logo" }).click();
      await page.waitForFunction(async (expected) => {
        const response = await fetch((document.querySelector('[data-testid="logo-preview"]') as HTMLImageElement).src);
        return (await response.arrayBuffer()).byteLength === expected;
      }, pngAgain.length);
      expect(await logoOf()).to.deep.equal({ md5: await md5(pngAgain), logo_type: "image/png" });

      await logo.getByRole("button", { name: "Remove the logo" }).click();
      await logo.getByTestId("logo-none").waitFor();
      expect(await logoOf()).to.deep.equal({ md5: null, logo_type: null });

      // --- Custom domain -------------------------------------------------------------------------
      const domainOf = () =>
        row<{ custom_domain: string | null; domain_token: string | null; verified: boolean }>(
          sql`SELECT custom_domain, domain_token, domain_verified_at IS NOT NULL AS verified FROM shops WHERE id = ${shopId}`,
        );
      const domain = page.getByTestId("domain-section");
      await domain.getByLabel("Host name").fill("  Keys.Demo-Shop.Example ");
      await domain.getByRole("button", { name: "Claim the domain" }).click();
      await domain.locator('[data-testid="domain-state"][data-state="pending"]').waitFor();
      const claimed = await domainOf();
      expect(claimed).to.include({ custom_domain: "keys.demo-shop.example", verified: false });
      // The record shown is the one the platform looks up: its name and the shop's token.
      const recordName = await domain.getByTestId("domain-txt-name").textContent();
      const recordValue = await domain.getByTestId("domain-txt-value").textContent();
      expect(recordName).to.equal("_keyledger.keys.demo-shop.example");
      expect(recordValue).to.equal(`keyledger-verify=${claimed!.domain_token}`);

      await domain.getByRole("button", { name: "Verify" }).click();
      await domain.locator('[data-testid="domain-state"][data-state="error"]').waitFor();
      const refusal = domain.locator('[data-testid="error-notice"][data-code="domain_unproved"]');
      expect(await refusal.textContent()).to.contain(`No TXT record found at ${recordName}`);
      expect((await domainOf())!.verified).to.equal(false);

      dns.txt.set(recordName!, ["unrelated=1", recordValue!]);
      await domain.getByRole("button", { name: "Verify" }).click();
      await domain.locator('[data-testid="domain-state"][data-state="verified"]').waitFor();
      expect(await domainOf()).to.deep.equal({ custom_domain: "keys.demo-shop.example", domain_token: claimed!.domain_token, verified: true });
      expect(dns.queries).to.include(recordName);
      expect(await domain.getByTestId("domain-txt-value").count()).to.equal(0);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });

  it("zh-CN at 360 px: the plan's fee and limits with usage counted by hand; this month's invoice after a paid sale, downloaded as CSV", async () => {
    const shopId = await demoShopId();
    const { api, login, pay, waitForOrder } = demoApi(platform.url);
    // The shop's plan charges 2.5% from now on (orders fix their fee when created).
    const planCode = (await row<{ plan_code: string }>(sql`SELECT plan_code FROM shops WHERE id = ${shopId}`))!.plan_code;
    await platform.database.db.execute(sql`UPDATE plans SET fee_bps = 250 WHERE code = ${planCode}`);
    const limits = (await row<{ products_max: number; keys_max: number; api_keys_max: number; webhooks_max: number; substores_max: number }>(
      sql`SELECT products_max, keys_max, api_keys_max, webhooks_max, substores_max FROM plans WHERE code = ${planCode}`,
    ))!;

    // One live API key and one revoked: the revoked one is not counted.
    const merchant = await login("merchant");
    const keys = platform.http.as(merchant.token);
    const live = await keys.post("/api/api-keys", { name: "live key", scopes: ["products:read"] });
    const revoked = await keys.post("/api/api-keys", { name: "revoked key", scopes: ["products:read"] });
    expect([live.status, revoked.status]).to.deep.equal([201, 201]);
    expect((await keys.post(`/api/api-keys/${revoked.body.key.id}/revoke`)).status).to.equal(200);

    // A paid sale of the ¥48.00 card: 4800 x 250 / 10000 = 120 fee.
    const steam = (await row<{ id: string; price_minor: string }>(
      sql`SELECT id::text, price_minor::text FROM products WHERE shop_id = ${shopId} AND name LIKE 'Steam%'`,
    ))!;
    expect(steam.price_minor).to.equal("4800");
    const order = await api<{ order: { id: string }; accessToken: string; payment: { url: string } }>("POST", "/api/orders", {
      productId: steam.id,
      quantity: 1,
      contact: "plan-tab@example.com",
      queryPassword: "plan-tab-pass-1234",
    });
    await pay(order.payment.url);
    await waitForOrder(order.order.id, order.accessToken);
    // The seed makes four products delivered from keys (keysPerProduct each) and one delivered by hand; one key was sold.
    const products = 5;
    const keysInStock = 4 * keysPerProduct - 1;

    const browser = await launchBrowser({ locale: "zh-CN", viewport: viewports.phone });
    try {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, platform.logins.merchant, "/merchant/plan");
      const usage = page.getByTestId("plan-usage");
      await usage.getByRole("heading", { name: "当前套餐" }).waitFor();
      expect(await usage.getByTestId("plan-fee").textContent()).to.equal("每笔销售的 2.5%");
      const expected = {
        products: [products, limits.products_max],
        keys: [keysInStock, limits.keys_max],
        apiKeys: [1, limits.api_keys_max],
        webhooks: [0, limits.webhooks_max],
        substores: [0, limits.substores_max],
      };
      for (const [limit, [used, max]] of Object.entries(expected)) {
        const line = usage.getByTestId(`plan-limit-${limit}`);
        expect([await line.getAttribute("data-used"), await line.getAttribute("data-max")], limit).to.deep.equal([String(used), String(max)]);
        expect(await line.getByRole("progressbar").getAttribute("aria-label")).to.contain(`已用 ${used} / 上限 ${max}`);
      }
      await page.getByTestId("plans-table").waitFor();

      const month = new Date().toISOString().slice(0, 7);
      await page.getByTestId(`invoice-month-${month}`).click();
      const invoice = page.locator(`[data-testid="invoice"][data-month="${month}"]`);
      await invoice.getByTestId("invoice-line").waitFor();
      expect(await invoice.getByTestId("invoice-line").count()).to.equal(1);
      expect(await invoice.getByTestId("invoice-net-fees").textContent()).to.equal("¥1.20");
      // The demo shop is paid on its own (sandbox) gateway: the fee is owed by the merchant.
      expect(await invoice.getByTestId("invoice-line").textContent()).to.contain("自有支付通道");
      const [download] = await Promise.all([page.waitForEvent("download"), invoice.getByRole("button", { name: "下载 CSV" }).click()]);
      expect(download.suggestedFilename()).to.equal(`platform-invoice-demo-${month}.csv`);
      const csv = readFileSync(await download.path(), "utf8")
        .trim()
        .split("\r\n");
      expect(csv).to.deep.equal([
        '"month","currency","collection","sales","salesMinor","feesMinor","refundedFeesMinor","netFeesMinor"',
        `"${month}","CNY","merchant","1","4800","120","0","120"`,
      ]);
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      expect(scrollWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px viewport`).to.be.at.most(innerWidth);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });
});
