// `npm run lighthouse`: starts the platform the way `npm start` does (embedded database in a
// temporary folder, a local chain, Redis, the seeded demo shop, the built web app), makes a paid
// guest order, then runs Lighthouse (mobile profile: simulated slow 4G and a 4x slower CPU) on
// the storefront's pages, the merchant console and the auditor explorer, three times each, and
// prints the median of each figure as `lighthouse_<page>_<figure>=` lines: the four category
// scores (0-100), then LCP, FCP and TBT in milliseconds and CLS.
// Chromium is KEYLEDGER_CHROMIUM_PATH or Debian's (scripts/lib/chromium.ts), started by
// chrome-launcher; LIGHTHOUSE_RUNS changes the number of runs, LIGHTHOUSE_PAGES (comma-separated
// names) the pages.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as chromeLauncher from "chrome-launcher";
import lighthouse, { type RunnerResult } from "lighthouse";
import { chromium } from "playwright-core";
import { chromiumFlags, resolveChromium } from "./lib/chromium.ts";
import { demoApi, type DemoSession } from "./lib/demoApi.ts";
import { startPlatform } from "./lib/platform.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const runs = Number(process.env.LIGHTHOUSE_RUNS ?? 3);
const categories = ["performance", "accessibility", "best-practices", "seo"] as const;

if (!existsSync(path.join(root, "web/dist/index.html"))) throw new Error("web/dist is missing: run `npm run build:web` first.");
const chromePath = resolveChromium(process.env.KEYLEDGER_CHROMIUM_PATH);

const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-lighthouse-"));
const profileDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-lighthouse-profile-"));
const platform = await startPlatform({ env: { ...process.env, DATA_DIR: dataDir }, port: 0, seed: true, keysPerProduct: 12, logLevel: "warn" });
const chrome = await chromeLauncher.launch({
  chromePath,
  userDataDir: profileDir,
  // chromiumFlags without its bare --headless: Lighthouse wants the new headless mode.
  chromeFlags: [...chromiumFlags.filter((flag) => flag !== "--headless"), "--headless=new"],
  logLevel: "silent",
});
// A loaded machine (the default 30 s timed out under a load of 20) must not leave the platform
// and the browser running: both are stopped when the connection fails.
const browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`, { timeout: 180_000 }).catch(async (error: unknown) => {
  chrome.kill();
  await platform.stop();
  rmSync(profileDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
  throw error;
});

type Page = { name: string; path: string; session?: DemoSession };

try {
  const base = platform.url;
  const { api, login, pay, waitForOrder } = demoApi(base);
  const shop = await api<{ id: string }>("GET", "/api/shops/by-slug/demo");
  const products = (await api<{ items: { id: string; name: string }[] }>("GET", `/api/shops/${shop.id}/products`)).items;
  const product = products.find((candidate) => candidate.name.includes("Steam")) ?? products[0]!;
  const guest = await api<{ order: { id: string }; accessToken: string; payment: { url: string } }>("POST", "/api/orders", {
    productId: product.id,
    quantity: 1,
    contact: "guest@example.com",
    queryPassword: "guest-pass",
  });
  await pay(guest.payment.url);
  await waitForOrder(guest.order.id, guest.accessToken);

  const pages: Page[] = [
    { name: "home", path: "/" },
    { name: "shop", path: "/shop/demo" },
    { name: "product", path: `/product/${product.id}` },
    { name: "order", path: `/orders/${guest.order.id}?token=${guest.accessToken}` },
    { name: "verify", path: "/verify" },
    { name: "console", path: "/merchant/overview", session: await login("merchant") },
    { name: "auditor", path: "/audit/batches", session: await login("auditor") },
  ];
  const chosen = process.env.LIGHTHOUSE_PAGES?.split(",").map((name) => name.trim());
  const context = browser.contexts()[0]!;
  const helper = await context.newPage();
  const cdp = await context.newCDPSession(helper);
  await helper.goto(`${base}/robots.txt`);

  for (const page of pages.filter((candidate) => !chosen || chosen.includes(candidate.name))) {
    const figures: Record<string, number[]> = {};
    for (let run = 0; run < runs; run++) {
      // A signed-in page needs the session in localStorage, which Lighthouse's storage reset
      // would clear: it is written here and the reset is skipped, the cache cleared by hand.
      await helper.evaluate(
        (session) => {
          window.localStorage.clear();
          if (session) window.localStorage.setItem("kl.session", JSON.stringify(session));
        },
        page.session ? { token: page.session.token, account: page.session.account } : null,
      );
      await cdp.send("Network.clearBrowserCache");
      const lhr = await audit(base + page.path, Boolean(page.session));
      const record = (name: string, value: number | null | undefined) => {
        figures[name] = [...(figures[name] ?? []), value ?? Number.NaN];
      };
      for (const category of categories) record(category.replace("-", "_"), Math.round((lhr.categories[category]?.score ?? 0) * 100));
      record("lcp_ms", lhr.audits["largest-contentful-paint"]?.numericValue);
      record("fcp_ms", lhr.audits["first-contentful-paint"]?.numericValue);
      record("tbt_ms", lhr.audits["total-blocking-time"]?.numericValue);
      record("cls", lhr.audits["cumulative-layout-shift"]?.numericValue);
      if (process.env.LIGHTHOUSE_VERBOSE) {
        const failing = Object.values(lhr.audits).filter((audit) => audit.score !== null && audit.score < 1 && audit.scoreDisplayMode !== "informative");
        process.stderr.write(`${page.name} run ${run + 1}: ${failing.map((audit) => `${audit.id}=${audit.displayValue ?? audit.score}`).join(" ")}\n`);
        // Which element was the LCP and which moved: the nodes' HTML, as the trace names them.
        for (const id of ["lcp-breakdown-insight", "layout-shifts"]) process.stderr.write(`  ${id}: ${nodeSnippets(lhr.audits[id]?.details).join(" | ")}\n`);
        // Where the LCP's time went in the observed (unthrottled) trace: TTFB, resource load
        // delay and duration (an image), render delay (waiting for the script or the font).
        process.stderr.write(`  lcp phases (observed, ms): ${lcpSubparts(lhr.audits["lcp-breakdown-insight"]?.details)}\n`);
        // The whole report, for the LCP element, its phases and the network requests in detail.
        if (process.env.LIGHTHOUSE_SAVE_DIR) writeFileSync(path.join(process.env.LIGHTHOUSE_SAVE_DIR, `${page.name}-${run + 1}.json`), JSON.stringify(lhr));
      }
    }
    for (const [name, values] of Object.entries(figures)) {
      const value = median(values);
      const shown = name === "cls" ? value.toFixed(3) : String(Math.round(value));
      process.stdout.write(`lighthouse_${page.name}_${name}=${shown}\n`);
    }
  }
} finally {
  await browser.close().catch(() => {});
  chrome.kill();
  await platform.stop();
  rmSync(profileDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
// Like `npm start` on Ctrl+C: once everything is stopped, exit (a queue client's reconnect
// timer must not keep the process alive).
process.exit(0);

/** One Lighthouse run; a run whose trace failed (NO_NAVSTART happens now and then) is repeated once. */
async function audit(url: string, keepStorage: boolean, attempt = 1): Promise<RunnerResult["lhr"]> {
  const result = await lighthouse(url, {
    port: chrome.port,
    output: "json",
    logLevel: "error",
    onlyCategories: [...categories],
    disableStorageReset: keepStorage,
  });
  if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
  const { runtimeError } = result.lhr;
  if (!runtimeError) return result.lhr;
  if (attempt < 2) return audit(url, keepStorage, attempt + 1);
  throw new Error(`Lighthouse on ${url}: ${runtimeError.code} ${runtimeError.message}`);
}

/** The HTML snippets of the nodes an audit's details name (nested tables included), for the verbose log. */
function nodeSnippets(details: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown) => {
    if (!value || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    if (record.type === "node" && typeof record.snippet === "string") found.push(record.snippet.slice(0, 120));
    for (const child of Object.values(record)) walk(child);
  };
  walk(details);
  return found;
}

/** The LCP breakdown insight's subparts as "timeToFirstByte=12 elementRenderDelay=340". */
function lcpSubparts(details: unknown): string {
  const lists = (details as { items?: { type?: string; items?: { subpart?: string; duration?: number }[] }[] } | undefined)?.items ?? [];
  const table = lists.find((item) => item.type === "table");
  return (table?.items ?? []).map((row) => `${row.subpart}=${Math.round(row.duration ?? 0)}`).join(" ");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
