// Drives Chromium (Debian's, or KEYLEDGER_CHROMIUM_PATH) with playwright-core for the browser
// suites (no browser download: see docs/decisions.md). Each suite gets a fresh profile in a
// temporary directory, and screenshots land under test-artifacts/web/ (git-ignored) for reviewers.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { chromiumFlags } from "../../scripts/lib/chromium.ts";
import { testEnv } from "../support/env.ts";
import { freshTotpCode } from "../support/totp.ts";

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
    executablePath: testEnv.chromiumPath,
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

/** Signs in through the login page (staff with the second-factor step, its code from the test's own TOTP) and waits for `next`. */
export async function signInThroughPage(
  page: Page,
  baseUrl: string,
  login: { email: string; password: string; totpSecret?: string },
  next: string,
): Promise<void> {
  await page.goto(`${baseUrl}/login?next=${encodeURIComponent(next)}`);
  await page.getByTestId("login-email").fill(login.email);
  await page.getByTestId("login-password").fill(login.password);
  await page.getByTestId("login-submit").click();
  if (login.totpSecret) {
    await page.getByTestId("second-factor-code").fill(await freshTotpCode(login.totpSecret));
    await page.getByTestId("second-factor-submit").click();
  }
  await page.waitForURL((url) => url.pathname === next);
}

/** axe-core's browser build, read once: injected into pages to audit them. */
let axeSource: string | undefined;

export type AxeViolation = { id: string; impact: string | null; help: string; targets: string[] };

/**
 * Runs axe-core (every rule of WCAG 2.0-2.2 A and AA plus axe's best practices) on the page as it
 * is, and returns its violations of any impact. axe is evaluated through the DevTools protocol,
 * which the page's Content-Security-Policy does not govern, so the CSP under test stays as served.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await page.evaluate(`${axeSource};0`);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: any[] }> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((violation) => ({
      id: violation.id as string,
      impact: violation.impact as string | null,
      help: violation.help as string,
      targets: (violation.nodes as { target: string[] }[]).map((node) => node.target.join(" ")),
    }));
  });
}
