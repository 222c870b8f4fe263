// Abuse control in a real browser (Chromium via playwright-core) against the whole platform:
// with every checkout's risk score at the captcha and review thresholds (RISK_CAPTCHA_SCORE=0,
// RISK_REVIEW_SCORE=0), a guest's checkout is answered 428 captcha_required, the page solves the
// ALTCHA challenge itself under the strict CSP (no violation) and the retried checkout creates
// the order; the paid order is held, and the merchant approves it on the console's review page,
// after which the buyer gets the key. docs/abuse.md.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { queryOne, sql } from "../../core/store/database.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, watchPageErrors, type Browser } from "./browser.ts";

describe("captcha and review queue in Chromium", function () {
  this.timeout(180_000);
  let platform: TestPlatform;
  let browser: Browser;

  before(async function () {
    this.timeout(180_000);
    platform = await startTestPlatform({
      seed: true,
      keysPerProduct: 4,
      // A small proof of work keeps the suite fast; the protocol is the same.
      env: { RISK_CAPTCHA_SCORE: "0", RISK_REVIEW_SCORE: "0", ALTCHA_MAX_NUMBER: "5000" },
    });
    browser = await launchBrowser({ locale: "en-US" });
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  /** A page that records CSP violations, console errors and the API's answers. */
  async function watchedPage(): Promise<{ page: Page; violations: string[]; errors: string[]; answers: { method: string; path: string; status: number }[] }> {
    const page = await browser.context.newPage();
    const violations: string[] = [];
    await page.exposeBinding("reportCspViolation", (_source, directive: string, blocked: string) => {
      violations.push(`${directive} ${blocked}`);
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        (window as unknown as { reportCspViolation(directive: string, blocked: string): void }).reportCspViolation(event.effectiveDirective, event.blockedURI);
      });
    });
    const answers: { method: string; path: string; status: number }[] = [];
    page.on("response", (response) => {
      const url = new URL(response.url());
      if (url.pathname.startsWith("/api/")) answers.push({ method: response.request().method(), path: url.pathname, status: response.status() });
    });
    return { page, violations, errors: watchPageErrors(page), answers };
  }

  it("a guest's checkout solves the captcha in the page, the order is held, and the merchant approves it", async () => {
    const buyer = await watchedPage();
    await buyer.page.goto(`${platform.url}/shop/demo`);
    await buyer.page.getByTestId("product-card").filter({ hasText: "Steam" }).click();
    await buyer.page.getByTestId("checkout-form").waitFor();
    await buyer.page.getByTestId("checkout-contact").fill("captcha-guest@example.com");
    await buyer.page.getByTestId("checkout-query-password").fill("captcha-pass-1");
    await buyer.page.getByTestId("checkout-submit").click();
    await buyer.page.getByTestId("sandbox-pay").waitFor({ timeout: 60_000 });

    // The first checkout was refused for want of a captcha, the page fetched a challenge, and the
    // retry (carrying the solution) created the order.
    const checkouts = buyer.answers.filter((entry) => entry.method === "POST" && entry.path === "/api/orders").map((entry) => entry.status);
    expect(checkouts).to.deep.equal([428, 201]);
    expect(buyer.answers.filter((entry) => entry.path === "/api/captcha/challenge").map((entry) => entry.status)).to.deep.equal([200]);

    await buyer.page.getByTestId("sandbox-pay").click();
    await buyer.page.waitForURL(/\/orders\/KL[0-9A-Z]+\?token=/);
    const orderUrl = buyer.page.url();
    const orderId = new URL(orderUrl).pathname.split("/").pop()!;
    const held = await queryOne<{ state: string; risk_review: string | null; device_id: string | null }>(
      platform.database.db,
      sql`SELECT state, risk_review, device_id FROM orders WHERE id = ${orderId}`,
    );
    expect(held!.state).to.equal("paid");
    expect(held!.risk_review).to.equal("pending");
    expect(held!.device_id, "the web's device id").to.match(/^[0-9a-f-]{36}$/);
    expect(buyer.violations).to.deep.equal([]);
    expect(buyer.errors).to.deep.equal([]);

    // The merchant approves the held order on the review page.
    const merchant = await watchedPage();
    await merchant.page.goto(`${platform.url}/login?next=${encodeURIComponent("/merchant/reviews")}`);
    await merchant.page.getByTestId("login-email").fill(platform.logins.merchant.email);
    await merchant.page.getByTestId("login-password").fill(platform.logins.merchant.password);
    await merchant.page.getByTestId("login-submit").click();
    await merchant.page.waitForURL((url) => url.pathname === "/merchant/reviews");
    const row = merchant.page.getByTestId(`review-${orderId}`);
    await row.waitFor();
    expect(await row.getByTestId("review-score").textContent()).to.equal("0");
    await row.getByTestId("review-approve").click();
    await row.waitFor({ state: "detached" });
    expect(
      merchant.answers.filter((entry) => entry.method === "POST" && entry.path.endsWith(`/reviews/${orderId}`)).map((entry) => entry.status),
    ).to.deep.equal([200]);
    expect(merchant.violations).to.deep.equal([]);
    expect(merchant.errors).to.deep.equal([]);

    // Approved: the order is delivered, and the buyer sees the key.
    let state = "";
    for (let waited = 0; waited < 30_000 && state !== "fulfilled"; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      state = (await queryOne<{ state: string }>(platform.database.db, sql`SELECT state FROM orders WHERE id = ${orderId}`))!.state;
    }
    expect(state).to.equal("fulfilled");
    await buyer.page.goto(orderUrl);
    const code = await buyer.page.getByTestId("key-code").first().textContent({ timeout: 30_000 });
    expect(code).to.match(/^STM-/);
    await buyer.page.close();
    await merchant.page.close();
  });
});
