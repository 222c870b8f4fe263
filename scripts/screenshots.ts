// `npm run screenshots`: starts the platform the way `npm start` does (embedded database in a
// temporary folder, a local chain, Redis, the seeded demo shop, the built web app), creates a
// little activity (a guest order, a resale listing, an import), then saves a screenshot of every
// main screen at phone and desktop width into test-artifacts/screenshots/, and stops.
// `npm run screenshots` builds web/dist first; Chromium is KEYLEDGER_CHROMIUM_PATH or Debian's
// (installed when missing and root, see scripts/lib/chromium.ts); a CJK font (e.g.
// fonts-wqy-microhei or fonts-noto-cjk) makes the Chinese screens render.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "playwright-core";
import { chromiumFlags, resolveChromium } from "./lib/chromium.ts";
import { startPlatform } from "./lib/platform.ts";
import { demoApi } from "./lib/demoApi.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const outputDir = path.join(root, "test-artifacts", "screenshots");
const widths = { phone: { width: 360, height: 780 }, desktop: { width: 1280, height: 860 } } as const;
/** Time for a screen's data to arrive and settle before the shot. */
const settleMs = 700;

if (!existsSync(path.join(root, "web/dist/index.html"))) throw new Error("web/dist is missing: run `npm run build:web` first.");
const chromiumPath = resolveChromium(process.env.KEYLEDGER_CHROMIUM_PATH);

const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-screenshots-"));
const profileDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-screenshots-profile-"));
const platform = await startPlatform({ env: { ...process.env, DATA_DIR: dataDir }, port: 0, seed: true, keysPerProduct: 12, logLevel: "warn" });
const context = await chromium.launchPersistentContext(profileDir, { executablePath: chromiumPath, headless: true, args: chromiumFlags, locale: "zh-CN" });
const page = await context.newPage();
mkdirSync(outputDir, { recursive: true });
let count = 0;
/** Screens wider than their viewport: a layout bug on phones. */
const overflowing: string[] = [];

try {
  const base = platform.url;
  const { api, login, pay, waitForOrder } = demoApi(base);

  // Activity: a guest order and a signed-in reseller's sealed order, listed for resale.
  const shop = await api<{ id: string }>("GET", "/api/shops/by-slug/demo");
  const products = (await api<{ items: { id: string; name: string; resaleAllowed: boolean }[] }>("GET", `/api/shops/${shop.id}/products`)).items;
  const steam = products.find((product) => product.name.includes("Steam"))!;
  const course = products.find((product) => product.resaleAllowed)!;
  const guest = await api<{ order: { id: string }; accessToken: string; payment: { url: string } }>("POST", "/api/orders", {
    productId: steam.id,
    quantity: 2,
    contact: "guest@example.com",
    queryPassword: "guest-pass",
  });
  await pay(guest.payment.url);
  await waitForOrder(guest.order.id, guest.accessToken);
  const reseller = await login("reseller");
  const resellerOrder = await api<{ order: { id: string }; accessToken: string; payment: { url: string } }>(
    "POST",
    "/api/orders",
    { productId: course.id, quantity: 1 },
    reseller.token,
  );
  await pay(resellerOrder.payment.url);
  await waitForOrder(resellerOrder.order.id, resellerOrder.accessToken);
  const owned = await api<{ items: { id: string }[] }>("GET", "/api/me/entitlements", undefined, reseller.token).catch(() => ({ items: [] }));
  if (owned.items[0])
    await api("POST", "/api/resale/listings", { entitlementId: owned.items[0].id, priceMinor: "8800", currency: "CNY" }, reseller.token).catch(() => undefined);
  const certificate = await api<{ batch: { anchor: { transaction: string } | null } }>(
    "GET",
    `/api/orders/${guest.order.id}/keys/${(await api<{ items: { keyId: string }[] }>("GET", `/api/orders/${guest.order.id}?token=${guest.accessToken}`)).items[0]!.keyId}/certificate?token=${guest.accessToken}`,
  );

  const signIn = async (role: keyof typeof platform.logins | undefined) => {
    await page.goto(`${base}/`);
    const session = role ? await login(role) : undefined;
    await page.evaluate(
      (value) => {
        if (value) window.localStorage.setItem("kl.session", JSON.stringify(value));
        else window.localStorage.removeItem("kl.session");
        window.localStorage.setItem("kl.rpcUrl", JSON.stringify(""));
      },
      session ? { token: session.token, account: session.account } : null,
    );
  };
  const shoot = async (name: string, pathname: string, prepare?: (target: Page) => Promise<void>) => {
    for (const [label, viewport] of Object.entries(widths)) {
      await page.setViewportSize(viewport);
      await page.goto(base + pathname);
      await page.waitForTimeout(settleMs);
      if (prepare) await prepare(page);
      await page.screenshot({ path: path.join(outputDir, `${name}-${label}.png`), fullPage: true });
      count++;
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      if (scrollWidth > viewport.width) overflowing.push(`${name}-${label} (${scrollWidth}px)`);
    }
  };

  await signIn(undefined);
  await shoot("01-home", "/");
  await shoot("02-shop", "/shop/demo");
  await shoot("02-shop-menu-open", "/shop/demo", async (target) => {
    const menu = target.locator(".menu-button");
    if (await menu.isVisible()) await menu.click();
  });
  await shoot("03-product-checkout", `/product/${steam.id}`);
  await shoot("04-product-resale-market", `/product/${course.id}`);
  await shoot("05-order-keys", `/orders/${guest.order.id}?token=${guest.accessToken}`);
  await shoot("06-lookup", "/lookup");
  await shoot("07-verify-empty", "/verify");
  await shoot("08-verify-unknown", "/verify", async (target) => {
    await target.getByTestId("verify-key").fill("NOT-A-REAL-KEY");
    await target.getByTestId("verify-submit").click();
    await target.getByTestId("verify-result").waitFor();
  });
  if (certificate.batch.anchor) await shoot("09-transaction", `/tx/${certificate.batch.anchor.transaction}?rpc=${encodeURIComponent(platform.rpcUrl)}`);
  await shoot("10-login", "/login");
  await signIn("reseller");
  await shoot("11-my-orders", "/me/orders");
  await shoot("12-my-keys", "/me/keys");
  await signIn("merchant");
  for (const tab of ["overview", "products", "import", "batches", "orders", "money", "settings"]) await shoot(`13-merchant-${tab}`, `/merchant/${tab}`);
  await signIn("auditor");
  for (const tab of ["anchors", "batches", "findings", "ledger", "log"]) await shoot(`14-audit-${tab}`, `/audit/${tab}`);
  await signIn(undefined);
  await shoot("15-not-found", "/no-such-page");
  process.stdout.write(`screenshots=${count} directory=${outputDir}\n`);
  process.stdout.write(`overflowing=${overflowing.length ? overflowing.join(" ") : "none"}\n`);
} finally {
  await context.close().catch(() => {});
  await platform.stop();
  rmSync(profileDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
// Like `npm start` on Ctrl+C: once everything is stopped, exit (a queue client's reconnect
// timer must not keep the process alive).
process.exit(0);
