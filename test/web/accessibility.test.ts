// axe-core on the storefront (home, shop, product, order, verify), the merchant console and
// the auditor explorer, My data, the merchant's profile tab (logo and domain included), the admin
// AML and plans tabs (the plan editor open with a refused fee), the shop and product pages with prices in another currency (the picker and its rate
// notes) and the console's accepted-currencies setting, the merchant's plan tab with a month's invoice open, and My subscriptions' balance, at phone and desktop width, in Chinese and in English: no violation of
// any impact (WCAG 2.0-2.2 A/AA and axe's best practices). The platform is the whole one with
// the seeded demo shop; the order is a real paid guest order.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { demoApi, type DemoSession } from "../../scripts/lib/demoApi.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { axeViolations, launchBrowser, viewports, watchPageErrors, type Browser } from "./browser.ts";

/** Longest wait for a page's data to arrive and its loading spinners to go. */
const settleTimeoutMs = 15_000;

/** `open` (optional) is what a person does on the screen before it is checked, to show a part that opens on demand. */
type Screen = {
  name: string;
  path: string;
  ready: string;
  session?: DemoSession;
  open?: (page: Page) => Promise<void>;
  /** localStorage entries besides the language and the session (the buyer's chosen currency). */
  stored?: Record<string, string>;
};

describe("accessibility (axe-core) at 360 px and 1280 px, in Chinese and English", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let browser: Browser;
  const screens: Screen[] = [];

  before(async function () {
    this.timeout(240_000);
    platform = await startTestPlatform({ seed: true, keysPerProduct: 6 });
    browser = await launchBrowser({ locale: "en-US" });
    const { api, login, pay, waitForOrder } = demoApi(platform.url);
    const shop = await api<{ id: string }>("GET", "/api/shops/by-slug/demo");
    const product = (await api<{ items: { id: string; name: string }[] }>("GET", `/api/shops/${shop.id}/products`)).items[0]!;
    const order = await api<{ order: { id: string }; accessToken: string; payment: { url: string } }>("POST", "/api/orders", {
      productId: product.id,
      quantity: 1,
      contact: "axe@example.com",
      queryPassword: "axe-pass-1234",
    });
    await pay(order.payment.url);
    await waitForOrder(order.order.id, order.accessToken);
    // The profile tab is checked with a logo to preview and a domain waiting for its TXT record.
    const merchant = platform.http.as((await login("merchant")).token);
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
    expect((await merchant.request("PUT", `/api/shops/${shop.id}/logo`, png, { "content-type": "image/png" })).status).to.equal(200);
    expect((await merchant.put(`/api/shops/${shop.id}/domain`, { domain: "axe.shop.example" })).status).to.equal(200);
    // The demo shop accepts dollars and euros at a rate an admin set: its pages show the currency picker.
    expect((await merchant.put(`/api/shops/${shop.id}/currencies`, { accepted: ["USD", "EUR"] })).status).to.equal(200);
    // One admin session for the rate and the admin tabs: a second sign-in within the same 30 s would reuse its TOTP code, which is refused.
    const admin = await login("admin");
    expect((await platform.http.as(admin.token).put("/api/admin/fx-rates/USD", { cnyPerUnit: "7.2" })).status).to.equal(200);
    screens.push(
      { name: "home", path: "/", ready: '[data-testid="shop-card"]' },
      { name: "shop", path: "/shop/demo", ready: '[data-testid="product-card"]' },
      { name: "product", path: `/product/${product.id}`, ready: '[data-testid="checkout-form"]' },
      { name: "order", path: `/orders/${order.order.id}?token=${order.accessToken}`, ready: '[data-testid="key-card"]' },
      { name: "verify", path: "/verify", ready: '[data-testid="verify-form"]' },
      { name: "console", path: "/merchant/overview", ready: '[data-testid="overview-revenue"]', session: await login("merchant") },
      { name: "auditor", path: "/audit/batches", ready: '[data-testid="audit-table"]', session: await login("auditor") },
      { name: "my data", path: "/me/data", ready: '[data-testid="my-data-erase-form"]', session: await login("buyer") },
      { name: "profile", path: "/merchant/profile", ready: '[data-testid="kyc-section"]', session: await login("merchant") },
      { name: "aml", path: "/admin/aml", ready: '[data-testid="aml-empty"], [data-testid="aml-table"]', session: admin },
      {
        name: "plans",
        path: "/admin/plans",
        ready: '[data-testid="plans-table"]',
        session: admin,
        // The editor open on a plan, with the server's refusal of a negative fee next to its field.
        open: async (page) => {
          await page.getByTestId("plan-edit-pro").click();
          await page.getByTestId("plan-fee").fill("-1");
          await page.getByTestId("plan-save").click();
          await page.locator('[data-testid="plan-form"] .field-error').waitFor();
        },
      },
      {
        name: "plan and invoice",
        path: "/merchant/plan",
        ready: '[data-testid="plans-table"]',
        session: await login("merchant"),
        // This month's invoice, which holds the paid order's fee.
        open: async (page) => {
          await page.getByTestId(`invoice-month-${new Date().toISOString().slice(0, 7)}`).click();
          await page.getByTestId("invoice-line").first().waitFor();
        },
      },
      { name: "my balance", path: "/me/subscriptions", ready: '[data-testid="balance-amount"]', session: await login("buyer") },
      { name: "shop in USD", path: "/shop/demo", ready: '[data-testid="currency-rate-note"]', stored: { "kl.currency": "USD" } },
      { name: "product in USD", path: `/product/${product.id}`, ready: '[data-testid="checkout-charged-in"]', stored: { "kl.currency": "USD" } },
      { name: "currencies setting", path: "/merchant/settings", ready: '[data-testid="currencies-form"]', session: await login("merchant") },
    );
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  /** Opens a screen in a language, signed in as its account (or as a guest), once its data is shown. */
  async function open(page: Page, screen: Screen, lang: "zh" | "en"): Promise<void> {
    await page.goto(`${platform.url}/robots.txt`);
    await page.evaluate(
      ([session, language, stored]) => {
        window.localStorage.clear();
        window.localStorage.setItem("kl.lang", JSON.stringify(language));
        if (session) window.localStorage.setItem("kl.session", JSON.stringify(session));
        for (const [key, value] of Object.entries(stored)) window.localStorage.setItem(key, JSON.stringify(value));
      },
      [screen.session ? { token: screen.session.token, account: screen.session.account } : null, lang, screen.stored ?? {}] as const,
    );
    await page.goto(platform.url + screen.path);
    await page.locator(screen.ready).first().waitFor();
    await screen.open?.(page);
    // Parts that load after the main data (reviews, recommendations, markets) settle too.
    await page.waitForFunction(() => !document.querySelector(".spinner"), undefined, { timeout: settleTimeoutMs });
    expect(await page.locator("html").getAttribute("lang")).to.equal(lang === "zh" ? "zh-CN" : "en");
  }

  for (const lang of ["zh", "en"] as const) {
    for (const [width, viewport] of Object.entries(viewports)) {
      it(`${lang}, ${viewport.width} px (${width}): no violation on home, shop, product, order, verify, console, auditor, my data, profile (logo, domain), aml, plans (editor with a refused fee), plan and invoice, my balance, shop and product in USD, currencies setting`, async () => {
        const page = await browser.context.newPage();
        await page.setViewportSize(viewport);
        const errors = watchPageErrors(page);
        const found: string[] = [];
        for (const screen of screens) {
          await open(page, screen, lang);
          for (const violation of await axeViolations(page)) {
            found.push(`${screen.name}: ${violation.id} (${violation.impact}) ${violation.help} at ${violation.targets.slice(0, 3).join(", ")}`);
          }
        }
        await page.close();
        expect(found, found.join("\n")).to.deep.equal([]);
        expect(errors).to.deep.equal([]);
      });
    }
  }
});
