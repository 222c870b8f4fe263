// The web app in a real browser (Debian's Chromium via playwright-core) against the whole
// platform as `npm start` runs it (API, workers, local chain, Redis, PostgreSQL; seeded demo
// shop), on the built web/dist. Every step saves a screenshot under test-artifacts/web/.
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import type { Page } from "playwright-core";
import { demoTotpSecrets } from "../../scripts/lib/seedDemo.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, screenshot, signInThroughPage, viewports, watchPageErrors, type Browser } from "./browser.ts";

const distDir = fileURLToPath(new URL("../../web/dist/", import.meta.url));
/** The budget for the first screen's JavaScript, gzipped. */
const firstScreenGzipBytesMax = 100 * 1000;
const folder = "web";
/** Big enough that the import job reports progress in several steps, small enough to stay fast. */
const importKeyCount = 20_000;

describe("web app in Chromium (storefront, order, verify, merchant console, i18n)", function () {
  this.timeout(120_000);
  let platform: TestPlatform;
  let browser: Browser;
  // Filled by the purchase test and used by the verify test, which needs a key that was sold.
  let bought: { code: string; certificateFile: string } | undefined;
  // A sealed entitlement's certificate, downloaded before its reveal (it carries no salt).
  let sealedCertificateFile: string | undefined;

  before(async function () {
    this.timeout(180_000);
    platform = await startTestPlatform({ seed: true, keysPerProduct: 12 });
    // English browser: the language test proves the switch by turning the page Chinese.
    browser = await launchBrowser({ locale: "en-US" });
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  async function newPage(viewport: { width: number; height: number } = viewports.desktop): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewport);
    return { page, errors: watchPageErrors(page) };
  }

  /** At phone width nothing may stick out sideways (console tables scroll inside their own box). */
  async function expectFitsWidth(page: Page): Promise<void> {
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(scrollWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px viewport`).to.be.at.most(innerWidth);
  }

  it("keeps the first screen's JavaScript under 100 kB gzipped (build report and what the browser loads)", async () => {
    const report = JSON.parse(readFileSync(path.join(distDir, "budget.json"), "utf8")) as { firstScreenGzipBytes: number };
    expect(report.firstScreenGzipBytes).to.be.greaterThan(10_000).and.lessThan(firstScreenGzipBytesMax);

    const { page, errors } = await newPage(viewports.phone);
    const scripts: Promise<number>[] = [];
    page.on("response", (response) => {
      if (response.request().resourceType() === "script") scripts.push(response.body().then((body) => gzipSync(body, { level: 9 }).length));
    });
    await page.goto(`${platform.url}/shop/demo`);
    await page.getByTestId("product-card").first().waitFor();
    const loaded = (await Promise.all(scripts)).reduce((sum, size) => sum + size, 0);
    expect(loaded).to.be.greaterThan(0).and.lessThan(firstScreenGzipBytesMax);
    process.stdout.write(`      first screen (/shop/demo) loaded ${(loaded / 1000).toFixed(1)} kB of JavaScript gzipped\n`);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("a guest's home, shop and product pages render the answers embedded in the page, without asking the API for them", async () => {
    const { page, errors } = await newPage(viewports.phone);
    const asked: string[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith("/api/")) asked.push(url.pathname + url.search);
    });
    await page.goto(`${platform.url}/`);
    await page.getByTestId("shop-card").first().waitFor();
    await page.goto(`${platform.url}/shop/demo`);
    await page.getByTestId("product-card").first().waitFor();
    const productPath = await page.getByTestId("product-card").first().getAttribute("href");
    await page.goto(`${platform.url}${productPath}`);
    await page.locator("h1").first().waitFor();
    const productId = productPath!.split("/").pop();
    const shopId = (await (await fetch(`${platform.url}/api/shops/by-slug/demo`)).json()).id as string;
    // Written by hand: the requests each page would otherwise make first.
    const embeddedRequests = [
      "/api/shops?limit=20",
      "/api/shops/by-slug/demo",
      `/api/shops/${shopId}/products`,
      `/api/products/${productId}`,
      `/api/shops/${shopId}`,
      `/api/shops/${shopId}/currencies`,
    ];
    expect(asked.filter((request) => embeddedRequests.includes(request))).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("a guest buys a key on a phone, pays in the sandbox, sees the key and downloads its certificate", async () => {
    const { page, errors } = await newPage(viewports.phone);
    await page.goto(`${platform.url}/shop/demo`);
    await page.getByTestId("product-card").first().waitFor();
    await screenshot(page, folder, "guest-01-shop-phone");
    await expectFitsWidth(page);
    // Every form control on the storefront has an accessible name.
    await page.getByTestId("product-card").filter({ hasText: "Steam" }).click();
    await page.getByTestId("checkout-form").waitFor();
    const unlabeled = await page.$$eval(
      "input, select, textarea",
      (elements) =>
        elements.filter(
          (element) => !(element as HTMLInputElement).labels?.length && !element.getAttribute("aria-label") && (element as HTMLInputElement).type !== "hidden",
        ).length,
    );
    expect(unlabeled, "form controls without a label").to.equal(0);
    await page.getByTestId("checkout-contact").fill("guest@example.com");
    await page.getByTestId("checkout-query-password").fill("my-query-pass");
    await screenshot(page, folder, "guest-02-checkout-phone");
    await expectFitsWidth(page);
    await page.getByTestId("checkout-submit").click();

    // The sandbox cashier (the gateway's page), then back to the shop.
    await page.getByTestId("sandbox-pay").waitFor();
    await screenshot(page, folder, "guest-03-sandbox-cashier-phone");
    await page.getByTestId("sandbox-pay").click();
    await page.waitForURL(/\/orders\/KL[0-9A-Z]+\?token=/);
    const code = await page.getByTestId("key-code").first().textContent({ timeout: 30_000 });
    expect(code).to.match(/^STM-[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/);
    expect(await page.getByTestId("order-state").getAttribute("data-state")).to.equal("fulfilled");
    await screenshot(page, folder, "guest-04-order-keys-phone");
    await expectFitsWidth(page);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("certificate-download").first().click()]);
    const certificateFile = path.join(browser.downloadsDir, download.suggestedFilename());
    await download.saveAs(certificateFile);
    const certificate = JSON.parse(readFileSync(certificateFile, "utf8"));
    expect(certificate.version).to.equal("keyledger-certificate/2");
    expect(certificate.batch.anchor.transaction).to.match(/^0x[0-9a-f]{64}$/);
    // The certificate never carries the key.
    expect(readFileSync(certificateFile, "utf8")).not.to.contain(code!);

    // Once issued on-chain, the order page shows the entitlement's issuance.
    await page
      .locator('[data-testid="issue-state"][data-state="included"], [data-testid="issue-state"][data-state="confirmed"]')
      .first()
      .waitFor({ timeout: 30_000 });
    await screenshot(page, folder, "guest-05-order-issued-phone");
    bought = { code: code!, certificateFile };
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("the order page long-polls while the order awaits payment and shows the key once it is paid", async () => {
    const shop = await platform.http.get("/api/shops/by-slug/demo");
    const products = await platform.http.get(`/api/shops/${shop.body.id}/products`);
    const product = (products.body.items as { id: string; name: string; stock: number }[]).find((item) => item.name.includes("Steam") && item.stock > 0)!;
    const checkout = await platform.http.post("/api/orders", { productId: product.id, quantity: 1, contact: "poll@example.com", queryPassword: "poll-pass-1" });
    expect(checkout.status, checkout.text).to.equal(201);
    const { order, accessToken, payment } = checkout.body;

    const { page, errors } = await newPage();
    const reads: URL[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname === `/api/orders/${order.id}`) reads.push(url);
    });
    await page.goto(`${platform.url}/orders/${order.id}?token=${accessToken}`);
    await page.getByTestId("awaiting-payment").waitFor();
    await page.waitForTimeout(4_000);
    // The first read answers at once; the next one waits on the server for a change. A page
    // polling every second would have made four or five reads by now.
    expect(reads.length, reads.map(String).join("\n")).to.equal(2);
    expect(reads[0]!.searchParams.get("waitSeconds")).to.equal(null);
    expect(reads[1]!.searchParams.get("waitSeconds")).to.equal("20");

    // Paying wakes the waiting read: the key shows well before the 20 seconds are up.
    const paid = await fetch(`${platform.url}/sandbox/epay/pay`, { method: "POST", body: new URL(payment.url).searchParams, redirect: "manual" });
    expect(paid.status).to.equal(303);
    await page.getByTestId("key-code").first().waitFor({ timeout: 15_000 });
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("a guest reveals a sealed (resellable) key on the order page, after confirming", async () => {
    const { page, errors } = await newPage(viewports.phone);
    await page.goto(`${platform.url}/shop/demo`);
    await page.getByTestId("product-card").filter({ hasText: "TypeScript" }).click();
    await page.getByTestId("checkout-contact").fill("sealed@example.com");
    await page.getByTestId("checkout-query-password").fill("sealed-pass");
    await page.getByTestId("checkout-submit").click();
    await page.getByTestId("sandbox-pay").click();
    const card = page.locator('[data-testid="key-card"][data-entitlement-state="sealed"]');
    await card.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("key-code").count()).to.equal(0);
    await screenshot(page, folder, "sealed-01-order-sealed-phone");
    // Its certificate, while sealed, withholds the salt (the leaf still proves inclusion).
    const [sealedDownload] = await Promise.all([page.waitForEvent("download"), card.getByTestId("certificate-download").click()]);
    sealedCertificateFile = path.join(browser.downloadsDir, `sealed-${sealedDownload.suggestedFilename()}`);
    await sealedDownload.saveAs(sealedCertificateFile);
    const sealedCertificate = JSON.parse(readFileSync(sealedCertificateFile, "utf8"));
    expect(sealedCertificate.commitment.salt).to.equal(null);
    await card.getByTestId("reveal-button").click();
    await screenshot(page, folder, "sealed-02-confirm-phone");
    await card.getByTestId("reveal-confirm").click();
    const code = await page.locator('[data-testid="key-card"][data-entitlement-state="redeemed"]').getByTestId("key-code").textContent({ timeout: 30_000 });
    expect(code).to.match(/^CRS-[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/);
    await screenshot(page, folder, "sealed-03-revealed-phone");
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("the verify page shows genuine with its timeline for a sold key (in the browser and by the server) and unknown for a wrong one", async () => {
    expect(bought, "the purchase test provides the key").to.not.equal(undefined);
    const { page, errors } = await newPage();
    await page.goto(`${platform.url}/verify`);

    // Key + certificate + the chain's RPC: checked in this browser against the chain.
    await page.getByTestId("verify-key").fill(bought!.code);
    await page.getByTestId("verify-certificate").setInputFiles(bought!.certificateFile);
    await page.getByTestId("verify-rpc").fill(platform.rpcUrl);
    await page.getByTestId("verify-submit").click();
    const result = page.getByTestId("verify-result");
    await result.waitFor();
    expect(await result.getAttribute("data-verdict")).to.equal("genuine");
    expect(await page.getByTestId("checked-by").getAttribute("data-way")).to.equal("browser");
    expect(await page.locator('[data-check="key_commitment"]').getAttribute("data-status")).to.equal("pass");
    expect(await page.locator('[data-check="root_anchored"]').getAttribute("data-status")).to.equal("pass");
    expect(await page.locator('[data-status="fail"]').count()).to.equal(0);
    const anchorTx = await page.getByTestId("anchor-tx").getAttribute("title");
    expect(anchorTx).to.match(/^0x[0-9a-f]{64}$/);
    expect(await page.getByTestId("verify-timeline").locator("li").count()).to.be.greaterThanOrEqual(4);
    await screenshot(page, folder, "verify-01-genuine-in-browser");

    // The timeline's transaction link opens the anchor transaction, read from the chain.
    await page.getByTestId("anchor-tx").click();
    await page.getByTestId("tx-facts").waitFor();
    expect(await page.getByTestId("tx-facts").textContent()).to.contain("BatchAnchored");
    await screenshot(page, folder, "verify-02-anchor-transaction");

    // The key alone: the server finds it and checks it against the chain.
    await page.goto(`${platform.url}/verify`);
    await page.getByTestId("verify-key").fill(bought!.code);
    await page.getByTestId("verify-submit").click();
    await page.getByTestId("verify-result").waitFor();
    expect(await page.getByTestId("verify-result").getAttribute("data-verdict")).to.equal("genuine");
    expect(await page.getByTestId("checked-by").getAttribute("data-way")).to.equal("server");
    expect(await page.getByTestId("timeline-anchor").textContent()).to.match(/0x[0-9a-f]{6}/);
    await screenshot(page, folder, "verify-03-genuine-by-server");

    // A sealed entitlement's certificate alone (no salt): genuine by inclusion, the key unchecked.
    expect(sealedCertificateFile, "the sealed test provides a sealed certificate").to.not.equal(undefined);
    await page.goto(`${platform.url}/verify`);
    await page.getByTestId("verify-certificate").setInputFiles(sealedCertificateFile!);
    await page.getByTestId("verify-rpc").fill(platform.rpcUrl);
    await page.getByTestId("verify-submit").click();
    await page.getByTestId("verify-result").waitFor();
    expect(await page.getByTestId("verify-result").getAttribute("data-verdict")).to.equal("genuine");
    expect(await page.locator('[data-check="merkle_proof"]').getAttribute("data-status")).to.equal("pass");
    expect(await page.locator('[data-check="key_commitment"]').getAttribute("data-status")).to.equal("skip");
    expect(await page.locator('[data-check="key_commitment"]').textContent()).to.match(/unchecked/);
    expect(await page.locator('[data-status="fail"]').count()).to.equal(0);
    await screenshot(page, folder, "verify-04-sealed-certificate");

    // A key nobody sold.
    await page.goto(`${platform.url}/verify`);
    await page.getByTestId("verify-key").fill("STM-000000-000000-000000");
    await page.getByTestId("verify-submit").click();
    await page.locator('[data-testid="verify-result"][data-verdict="unknown"]').waitFor();
    await screenshot(page, folder, "verify-05-unknown");
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("a merchant imports a file of keys, watches the progress bar reach 100%, then sees the batch anchored on-chain", async () => {
    const { page, errors } = await newPage();
    await page.goto(`${platform.url}/login?next=/merchant/import`);
    await page.getByTestId("login-email").fill(platform.logins.merchant.email);
    await page.getByTestId("login-password").fill(platform.logins.merchant.password);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("import-form").waitFor();

    const keys = Array.from(
      { length: importKeyCount },
      (_, index) => `WEB-${String(index).padStart(6, "0")}-${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
    );
    await page.getByTestId("import-file").setInputFiles({ name: "keys.txt", mimeType: "text/plain", buffer: Buffer.from(keys.join("\n")) });
    // The picker shows the chosen file in the page's own words, not the browser's native control.
    expect(await page.locator(".file-picker").textContent()).to.match(/keys\.txt$/);
    await screenshot(page, folder, "merchant-01-import-form");
    await page.getByTestId("import-submit").click();

    // Watch the bar: sample its value until it reads 100 (bounded by the wait's timeout).
    const bar = page.getByTestId("import-progress").getByRole("progressbar");
    await bar.waitFor();
    const seen: number[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const value = Number(await bar.getAttribute("aria-valuenow"));
      if (seen[seen.length - 1] !== value) seen.push(value);
      if (value === 100) break;
      await page.waitForTimeout(50);
    }
    process.stdout.write(`      import progress values seen: ${seen.join(", ")}\n`);
    expect(seen[seen.length - 1], `progress values seen: ${seen.join(",")}`).to.equal(100);
    expect([...seen].sort((a, b) => a - b)).to.deep.equal(seen); // never goes backwards
    expect(await page.getByTestId("import-progress").textContent()).to.contain(String(importKeyCount));
    await screenshot(page, folder, "merchant-02-import-100");

    const status = page.locator('[data-testid="import-status"][data-anchor-state="included"], [data-testid="import-status"][data-anchor-state="confirmed"]');
    await status.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("import-anchor-tx").getAttribute("title")).to.match(/^0x[0-9a-f]{64}$/);
    await screenshot(page, folder, "merchant-03-import-anchored");

    await page.getByTestId("merchant-tab-batches").click();
    const row = page.getByTestId("batch-row").first();
    await row.waitFor();
    expect(await row.getAttribute("data-anchor-state")).to.be.oneOf(["included", "confirmed"]);
    expect(await row.textContent()).to.contain(String(importKeyCount));
    await screenshot(page, folder, "merchant-04-batches");

    await page.getByTestId("merchant-tab-overview").click();
    await page.getByTestId("sales-charts").waitFor();
    await screenshot(page, folder, "merchant-05-overview");

    // The demo shop sells through its own EPay gateway (the sandbox): the guests' purchases above
    // made no payable, they made platform fees the merchant owes, with a top-up to pay them.
    await page.getByTestId("merchant-tab-money").click();
    const fees = page.locator('[data-testid="fee-position"][data-currency="CNY"]');
    await fees.waitFor();
    expect(Number(await fees.getAttribute("data-owed"))).to.be.greaterThan(0);
    expect(await page.getByTestId("topup-form").count()).to.equal(1);
    await screenshot(page, folder, "merchant-06-money-fees");
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  const signIn = (page: Page, login: { email: string; password: string; totpSecret?: string }, next: string) =>
    signInThroughPage(page, platform.url, login, next);

  async function payInSandbox(page: Page, folderName: string, shot: string): Promise<void> {
    await page.getByTestId("sandbox-pay").waitFor();
    await screenshot(page, folder, `${folderName}-${shot}`);
    await page.getByTestId("sandbox-pay").click();
  }

  it("a reseller lists a sealed entitlement, another account buys it on the resale market and reveals it", async () => {
    const { page, errors } = await newPage();
    // The reseller buys a resellable course code while signed in: it arrives sealed.
    await signIn(page, platform.logins.reseller, "/me/orders");
    await page.goto(`${platform.url}/shop/demo`);
    await page.getByTestId("product-card").filter({ hasText: "TypeScript" }).click();
    const productUrl = page.url();
    await page.getByTestId("checkout-submit").click();
    await payInSandbox(page, "resale", "01-reseller-pays");
    await page.waitForURL(/\/orders\/KL[0-9A-Z]+/);
    await page.locator('[data-testid="key-card"][data-entitlement-state="sealed"]').waitFor({ timeout: 30_000 });
    await screenshot(page, folder, "resale-02-reseller-order-sealed");

    // It lists the sealed entitlement from My keys.
    await page.getByTestId("nav-my-keys").click();
    const owned = page.locator('[data-testid="owned-entitlement"][data-state="sealed"]').first();
    await owned.waitFor();
    const entitlementId = await owned.getAttribute("data-entitlement-id");
    await owned.getByTestId("list-price").fill("88.00");
    await owned.getByTestId("list-submit").click();
    await page.locator(`[data-testid="owned-entitlement"][data-entitlement-id="${entitlementId}"][data-listed="yes"]`).waitFor();
    await screenshot(page, folder, "resale-03-reseller-listed");
    await page.getByTestId("sign-out").click();

    // Another account finds it on the product's resale market and buys it.
    await signIn(page, platform.logins.buyer, "/me/orders");
    await page.goto(productUrl);
    const listing = page.getByTestId("listing").first();
    await listing.waitFor();
    expect(await listing.textContent()).to.contain("88.00");
    await screenshot(page, folder, "resale-04-market");
    await listing.getByTestId("listing-buy").click();
    await payInSandbox(page, "resale", "05-buyer-pays");
    await page.waitForURL(/\/resale\/purchases\//);
    await page.locator('[data-testid="resale-purchase"][data-state="settled"]').waitFor({ timeout: 30_000 });
    await screenshot(page, folder, "resale-06-purchase-settled");

    // The buyer now holds it sealed and reveals it (the sale may still be going on-chain: retry).
    await page.getByTestId("purchase-to-keys").click();
    const mine = page.locator(`[data-testid="owned-entitlement"][data-entitlement-id="${entitlementId}"]`);
    await mine.waitFor();
    expect(await mine.getAttribute("data-state")).to.equal("sealed");
    await mine.getByTestId("owned-reveal").click();
    const deadline = Date.now() + 30_000;
    for (;;) {
      await mine.getByTestId("owned-reveal-confirm").click();
      const outcome = await Promise.race([
        mine
          .getByTestId("owned-code")
          .waitFor({ timeout: 10_000 })
          .then(() => "code"),
        mine
          .getByTestId("error-notice")
          .waitFor({ timeout: 10_000 })
          .then(() => "error"),
      ]);
      if (outcome === "code") break;
      expect(Date.now(), "reveal kept failing").to.be.lessThan(deadline);
      await page.waitForTimeout(1000);
    }
    expect(await mine.getByTestId("owned-code").textContent()).to.match(/^CRS-[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/);
    expect(await mine.getAttribute("data-state")).to.equal("redeemed");
    await screenshot(page, folder, "resale-07-buyer-revealed");
    await page.getByTestId("sign-out").click();
    expect(errors.filter((error) => !/status of 4\d\d/.test(error))).to.deep.equal([]);
    await page.close();
  });

  it("an auditor sees the books balanced, filters the audit log and exports it as CSV", async () => {
    const { page, errors } = await newPage();
    await signIn(page, { ...platform.logins.auditor, totpSecret: demoTotpSecrets.auditor }, "/audit/ledger");
    // The purchases above posted journal entries; every currency's trial balance sums to zero.
    const trial = page.getByTestId("trial-balance").first();
    await trial.waitFor();
    expect(await trial.locator("[data-state]").first().getAttribute("data-state")).to.equal("balanced");
    expect(await trial.textContent()).to.contain("CNY");
    await screenshot(page, folder, "audit-01-books");

    // The audit log: filter as you type, export what is shown as CSV.
    await page.getByTestId("audit-tab-log").click();
    const table = page.getByTestId("audit-table");
    await table.waitFor();
    const all = await table.locator("tbody tr").count();
    expect(all).to.be.greaterThan(0);
    // Headings in the page's language; the field name stays as the tooltip (and in the CSV).
    expect(await table.locator("thead th").allTextContents()).to.include.members(["Action", "Time", "Email"]);
    expect(await table.locator("thead th", { hasText: "Action" }).getAttribute("title")).to.equal("what.action");
    await page.getByTestId("audit-filter").fill("keys.import");
    const imports = await table.locator("tbody tr").count();
    expect(imports).to.be.greaterThan(0).and.at.most(all);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("audit-export").click()]);
    const csvFile = path.join(browser.downloadsDir, download.suggestedFilename());
    await download.saveAs(csvFile);
    const lines = readFileSync(csvFile, "utf8").trim().split("\r\n");
    expect(lines).to.have.length(imports + 1);
    expect(lines.slice(1).every((line) => line.includes("keys.import"))).to.equal(true);
    await screenshot(page, folder, "audit-02-log-filtered");

    // The security page: TOTP on (the demo seeds its secret, with no recovery codes), this
    // session opened with a code, and the sign-in in the history.
    await page.getByTestId("nav-security").click();
    await page.getByTestId("session-row").first().waitFor();
    expect(await page.getByTestId("security-totp").textContent()).to.contain("On. 0 recovery codes left.");
    expect(await page.getByTestId("security-enrol-required").count()).to.equal(0);
    expect(await page.getByTestId("session-row").filter({ hasText: "This device" }).textContent()).to.contain("Authenticator code");
    await page.getByTestId("history-row").first().waitFor();
    expect(await page.getByTestId("history-row").first().textContent()).to.contain("Succeeded");
    await screenshot(page, folder, "security-01-settings");
    await page.getByTestId("sign-out").click();
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("the language switch shows Chinese on the storefront and keeps the choice", async () => {
    const { page, errors } = await newPage(viewports.phone);
    await page.goto(`${platform.url}/shop/demo`);
    await page.getByTestId("product-card").first().waitFor();
    await page.evaluate(() => window.localStorage.removeItem("kl.lang"));
    await page.reload();
    await page.getByTestId("product-card").first().waitFor();
    // The browser says English, so the page starts in English.
    expect(await page.locator("html").getAttribute("lang")).to.equal("en");
    expect(await page.getByTestId("category-chips").textContent()).to.contain("Game cards");
    await screenshot(page, folder, "i18n-01-english");

    await page.getByTestId("lang-switch").click();
    // The Chinese table is a chunk of its own, loaded by the switch: the page changes when it arrives.
    await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
    expect(await page.getByTestId("category-chips").textContent()).to.contain("游戏点卡");
    expect(await page.locator("body").textContent()).to.contain("库存已上链承诺");
    await screenshot(page, folder, "i18n-02-chinese");

    await page.reload();
    await page.getByTestId("product-card").first().waitFor();
    expect(await page.getByTestId("category-chips").textContent()).to.contain("游戏点卡");
    await page.evaluate(() => window.localStorage.removeItem("kl.lang"));
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("an account refresh that answers after another tab signed in as someone else does not put the old account back", async () => {
    const login = async (credentials: { email: string; password: string }) => {
      const response = await fetch(`${platform.url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(credentials),
      });
      return (await response.json()) as { token: string; account: unknown };
    };
    // The second account is the demo buyer: staff sign-ins take a second step (tested above).
    const [merchant, auditor] = [await login(platform.logins.merchant), await login(platform.logins.buyer)];
    const { page, errors } = await newPage();
    await page.goto(`${platform.url}/verify`);
    await page.evaluate((session) => window.localStorage.setItem("kl.session", JSON.stringify(session)), merchant);
    // Hold this tab's account refresh until "another tab" has stored the auditor's session.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let refreshed!: () => void;
    const answered = new Promise<void>((resolve) => (refreshed = resolve));
    await page.route("**/api/me", async (route) => {
      await released;
      await route.continue();
      refreshed();
    });
    await page.reload();
    await page.evaluate((session) => window.localStorage.setItem("kl.session", JSON.stringify(session)), auditor);
    release();
    await answered;
    await page.waitForTimeout(200);
    const stored = await page.evaluate(() => JSON.parse(window.localStorage.getItem("kl.session") ?? "null") as { token: string } | null);
    expect(stored?.token, "the auditor's session stays stored").to.equal(auditor.token);
    await page.unroute("**/api/me");
    await page.evaluate(() => window.localStorage.removeItem("kl.session"));
    expect(errors).to.deep.equal([]);
    await page.close();
  });
});
