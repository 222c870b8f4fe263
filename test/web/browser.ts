// Drives Debian's Chromium with playwright-core for the browser suites (no browser download:
// see shared TOOLCHAIN.md). Each suite gets a fresh profile in a temporary directory, and
// screenshots land under test-artifacts/web/ (git-ignored) for reviewers.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";
/** Flags that keep Chromium off the network except for the pages we open. */
export const chromiumFlags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const viewports = {
  phone: { width: 360, height: 780 },
  desktop: { width: 1280, height: 860 },
} as const;

const root = fileURLToPath(new URL("../../", import.meta.url));
export const artifactsDir = path.join(root, "test-artifacts");

export type Browser = { context: BrowserContext; downloadsDir: string; close(): Promise<void> };

export async function launchBrowser(options: { locale?: string; viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profileDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-chromium-"));
  const downloadsDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-downloads-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
    locale: options.locale ?? "zh-CN",
    viewport: options.viewport ?? viewports.desktop,
    acceptDownloads: true,
    downloadsPath: downloadsDir,
  });
  context.setDefaultTimeout(30_000);
  return {
    context,
    downloadsDir,
    async close() {
      await context.close().catch(() => {});
      rmSync(profileDir, { recursive: true, force: true });
      rmSync(downloadsDir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as test-artifacts/<folder>/<name>.png and returns its path. */
export async function screenshot(page: Page, folder: string, name: string): Promise<string> {
  const directory = path.join(artifactsDir, folder);
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Collects uncaught page errors and console errors, so a broken screen fails the test. */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/Failed to load resource/.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  return errors;
}
