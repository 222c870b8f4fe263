// The Content-Security-Policy in a real browser (Chromium via playwright-core) against the whole
// platform: the storefront, a checkout through the sandbox cashier, the order page, the verify
// and transaction pages (which reach the configured RPC), the merchant and auditor consoles and
// the API docs all work without one violation; and what an injected string would try (an
// inline script, an inline event handler, an inline style, a fetch to another origin) is
// refused. Reproduces the audit's finding that the policy allowed inline scripts and any
// connect-src. The header's exact directives are tested over HTTP in
// test/api/contentSecurityPolicy.test.ts.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { demoTotpSecrets } from "../../scripts/lib/seedDemo.ts";
import { launchBrowser, signInThroughPage, watchPageErrors, type Browser } from "./browser.ts";

type Violation = { directive: string; blocked: string; page: string };

describe("Content-Security-Policy in Chromium", function () {
  this.timeout(180_000);
  let platform: TestPlatform;
  let browser: Browser;

  before(async function () {
    this.timeout(180_000);
    platform = await startTestPlatform({ seed: true, keysPerProduct: 4 });
    browser = await launchBrowser({ locale: "en-US" });
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  /** A page that reports every CSP violation (across navigations) and every console error. */
  async function watchedPage(): Promise<{ page: Page; violations: Violation[]; errors: string[] }> {
    const page = await browser.context.newPage();
    const violations: Violation[] = [];
    await page.exposeBinding("reportCspViolation", ({ frame }, directive: string, blocked: string) => {
      violations.push({ directive, blocked, page: frame.url() });
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        (window as unknown as { reportCspViolation(directive: string, blocked: string): void }).reportCspViolation(event.effectiveDirective, event.blockedURI);
      });
    });
    return { page, violations, errors: watchPageErrors(page) };
  }

  const signIn = (page: Page, login: { email: string; password: string; totpSecret?: string }, next: string) =>
    signInThroughPage(page, platform.url, login, next);

  it("the main pages run without a violation, and the browser reaches the configured RPC", async () => {
    const { page, violations, errors } = await watchedPage();
    const rpcOrigin = new URL(platform.rpcUrl).origin;
    const rpcRequests: string[] = [];
    page.on("request", (request) => {
      if (request.url().startsWith(rpcOrigin)) rpcRequests.push(request.url());
    });

    await page.goto(`${platform.url}/shop/demo`);
    await page.getByTestId("product-card").first().waitFor();
    await page.getByTestId("product-card").filter({ hasText: "Steam" }).click();
    await page.getByTestId("checkout-contact").fill("csp@example.com");
    await page.getByTestId("checkout-query-password").fill("csp-query-pass");
    await page.getByTestId("checkout-submit").click();
    // The sandbox cashier: its style is a file, its form posts to itself and redirects back.
    await page.getByTestId("sandbox-pay").waitFor();
    expect(await page.getByTestId("sandbox-pay").evaluate((button) => getComputedStyle(button).borderRadius)).to.equal("8px");
    await page.getByTestId("sandbox-pay").click();
    await page.waitForURL(/\/orders\/KL[0-9A-Z]+\?token=/);
    await page.getByTestId("key-code").first().waitFor({ timeout: 30_000 });

    await page.goto(`${platform.url}/verify`);
    await page.waitForLoadState("networkidle");
    // A transaction page reads the chain from this browser, through connect-src: with no RPC
    // chosen, the platform's configured one (GET /api/config/public).
    const rpcRequest = page.waitForRequest((request) => request.url().startsWith(rpcOrigin));
    await page.goto(`${platform.url}/tx/0x${"ab".repeat(32)}`);
    await rpcRequest;
    await page.waitForLoadState("networkidle");
    expect(rpcRequests.length, "requests to the configured RPC").to.be.greaterThan(0);

    await signIn(page, platform.logins.merchant, "/merchant");
    await page.waitForLoadState("networkidle");
    await page.goto(`${platform.url}/merchant/import`);
    await page.getByTestId("import-form").waitFor();
    await signIn(page, { ...platform.logins.auditor, totpSecret: demoTotpSecrets.auditor }, "/audit/ledger");
    await page.waitForLoadState("networkidle");

    // The API docs: their script (a file now) renders the operations.
    await page.goto(`${platform.url}/api/docs`);
    await page.locator("#ops h2").first().waitFor();
    expect(await page.locator("h1").evaluate((heading) => getComputedStyle(heading.ownerDocument.body).maxWidth)).to.equal("960px");

    expect(violations).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("refuses an injected inline script, event handler and style, and a fetch to another origin", async () => {
    const { page, violations } = await watchedPage();
    await page.goto(`${platform.url}/shop/demo`);
    await page.getByTestId("product-card").first().waitFor();
    // What a stored string rendered as HTML would try. page.evaluate itself is the DevTools
    // protocol, which the policy does not govern; what it inserts is.
    const outcome = await page.evaluate(async () => {
      const state = window as unknown as { injectedScriptRan?: boolean; injectedHandlerRan?: boolean };
      const script = document.createElement("script");
      script.textContent = "window.injectedScriptRan = true";
      document.head.append(script);
      const holder = document.createElement("div");
      holder.innerHTML = `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onload="window.injectedHandlerRan = true" onerror="window.injectedHandlerRan = true">`;
      document.body.append(holder);
      const style = document.createElement("style");
      style.textContent = "body { outline: 7px solid rgb(255, 0, 0); }";
      document.head.append(style);
      const fetched = await fetch("http://127.0.0.1:9/exfiltrate").then(
        () => "answered",
        () => "refused",
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      return {
        scriptRan: state.injectedScriptRan === true,
        handlerRan: state.injectedHandlerRan === true,
        outline: getComputedStyle(document.body).outlineStyle,
        fetched,
      };
    });
    expect(outcome).to.deep.equal({ scriptRan: false, handlerRan: false, outline: "none", fetched: "refused" });
    const directives = [...new Set(violations.map((violation) => violation.directive))].sort();
    expect(directives).to.deep.equal(["connect-src", "script-src-attr", "script-src-elem", "style-src-elem"]);
    expect(violations.find((violation) => violation.directive === "connect-src")?.blocked).to.equal("http://127.0.0.1:9/exfiltrate");
    await page.close();
  });
});
