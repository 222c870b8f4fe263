// The first paint the server writes into a product page (api/http/firstPaint.ts) in Chromium:
// with the app's scripts blocked the page already shows the product's name, price and
// description, as text (a name full of markup creates no element); the app that then replaces
// the markup shows the same texts in the same boxes, and the page's layout shifts, read by a
// PerformanceObserver of the browser's own layout-shift entries, stay within the CLS
// budget (0.02).
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, screenshot, viewports, watchPageErrors, type Browser } from "./browser.ts";

/** Issue 22 item 6: cumulative layout shift at most 0.02. */
const layoutShiftMax = 0.02;
/** Layout differences below a pixel are rounding between two renders of the same box. */
const boxTolerancePx = 1;

type Box = { x: number; y: number; width: number; height: number };
type Painted = { name: string; nameBox: Box; price: string; priceBox: Box; descriptionBox: Box; mainTop: number };

describe("first paint of a product page (server markup, then the app)", function () {
  this.timeout(180_000);
  let platform: TestPlatform;
  let browser: Browser;
  let productId: string;
  const suffix = randomBytes(4).toString("hex");
  const productName = `Card <img src=x onerror="document.title='owned'"> & "quotes" 'too' <script>alert(1)</script>`;

  before(async function () {
    this.timeout(180_000);
    platform = await startTestPlatform({ seed: false });
    browser = await launchBrowser({ locale: "zh-CN" });
    const signup = await platform.http.post("/api/auth/signup", { email: `paint-${suffix}@example.com`, password: "merchant-password-1", roles: ["merchant"] });
    expect(signup.status, signup.text).to.equal(201);
    const merchant = platform.http.as(signup.body.token);
    const shop = await merchant.post("/api/shops", { slug: `paint-${suffix}`, name: `Shop <b>${suffix}</b>` });
    expect(shop.status, shop.text).to.equal(201);
    const product = await merchant.post(`/api/shops/${shop.body.id}/products`, {
      name: productName,
      description: "A code for the test's game.\nIt is delivered at once, with a certificate anyone can check against the chain.",
      category: "game_card",
      priceMinor: "123456",
      currency: "CNY",
      quantityMax: 10,
    });
    expect(product.status, product.text).to.equal(201);
    productId = product.body.id;
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  /** The product's name, price and description as laid out, from the server's markup or from the app's. */
  async function painted(page: Page, from: "server" | "app"): Promise<Painted> {
    // The app's elements carry test ids the server's markup does not have.
    const [name, price] = from === "app" ? ['[data-testid="product-title"]', '[data-testid="product-price"]'] : ["h1.product-title", ".price-large"];
    await page.locator(name).waitFor();
    return page.evaluate(
      ({ name, price }) => {
        const box = (selector: string) => {
          const { x, y, width, height } = document.querySelector(selector)!.getBoundingClientRect();
          return { x, y, width, height };
        };
        return {
          name: document.querySelector(name)!.textContent!,
          nameBox: box(name),
          price: document.querySelector(price)!.textContent!,
          priceBox: box(price),
          descriptionBox: box("p.pre-line"),
          mainTop: document.querySelector("main")!.getBoundingClientRect().top,
        };
      },
      { name, price },
    );
  }

  const expectSameBox = (actual: Box, expected: Box, what: string) => {
    for (const side of ["x", "y", "width", "height"] as const)
      expect(Math.abs(actual[side] - expected[side]), `${what} ${side}: app ${actual[side]}, server ${expected[side]}`).to.be.at.most(boxTolerancePx);
  };

  for (const [viewportName, viewport] of Object.entries(viewports)) {
    it(`shows the name and price before any script, and the app keeps them in place (${viewportName})`, async () => {
      const url = `${platform.url}/product/${productId}`;
      // The server's markup alone: every script refused.
      const still = await browser.context.newPage();
      await still.setViewportSize(viewport);
      await still.route(/\.js(\?|$)/, (route) => route.abort());
      await still.goto(url);
      const server = await painted(still, "server");
      expect(server.name).to.equal(productName);
      expect(server.price).to.equal("¥1,234.56");
      // The name's markup is text: no element came of it, and its handler never ran.
      expect(await still.evaluate(() => document.querySelectorAll("main img, main script, main b").length)).to.equal(0);
      expect(await still.title()).not.to.equal("owned");
      await screenshot(still, "first-paint", `product-server-${viewportName}`);
      await still.close();

      // The app: its layout shifts observed from the first paint on (buffered entries).
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await page.setViewportSize(viewport);
      await page.goto(url);
      const app = await painted(page, "app");
      // Late content (reviews, recommendations, the checkout's quote) has had time to arrive.
      await page.waitForLoadState("networkidle");
      await page.waitForTimeout(1_000);
      const shifts = await page.evaluate(
        () =>
          new Promise<{ value: number; sources: string[] }[]>((resolve) => {
            const entries: { value: number; sources: string[] }[] = [];
            const observer = new PerformanceObserver((list) => {
              for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean; sources?: { node?: Node }[] })[]) {
                if (entry.hadRecentInput) continue;
                entries.push({
                  value: entry.value,
                  sources: (entry.sources ?? []).map((source) => (source.node as Element | undefined)?.outerHTML?.slice(0, 80) ?? "?"),
                });
              }
            });
            observer.observe({ type: "layout-shift", buffered: true });
            setTimeout(() => {
              observer.disconnect();
              resolve(entries);
            }, 200);
          }),
      );
      await screenshot(page, "first-paint", `product-app-${viewportName}`);
      await page.close();

      expect(app.name).to.equal(server.name);
      expect(app.price).to.equal(server.price);
      expect(app.mainTop, "the top bar keeps its height").to.be.closeTo(server.mainTop, boxTolerancePx);
      expectSameBox(app.nameBox, server.nameBox, "name");
      expectSameBox(app.priceBox, server.priceBox, "price");
      expectSameBox(app.descriptionBox, server.descriptionBox, "description");
      // Every shift counted (a stricter sum than CLS's worst session window).
      const total = shifts.reduce((sum, entry) => sum + entry.value, 0);
      expect(total, JSON.stringify(shifts)).to.be.at.most(layoutShiftMax);
      expect(errors).to.deep.equal([]);
    });
  }
});
