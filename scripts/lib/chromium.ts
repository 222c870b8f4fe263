// Which Chromium the browser suites and the screenshot script drive (playwright-core, no browser
// download: see docs/decisions.md). KEYLEDGER_CHROMIUM_PATH names another Chromium build to use
// when it exists; otherwise Debian's package is used, installed first when it is missing and
// this process is root.
import { existsSync } from "node:fs";
import { ensureDebianPackages, type DebianPiece } from "./debianPackages.ts";

export const debianChromiumPath = "/usr/bin/chromium";

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

export const chromiumPiece: DebianPiece = {
  what: `Chromium (${debianChromiumPath})`,
  debianPackage: "chromium",
  present: () => existsSync(debianChromiumPath),
};

/** True when the configured Chromium exists, so nothing needs installing. */
export function configuredChromiumExists(configuredPath: string | undefined): boolean {
  return configuredPath !== undefined && existsSync(configuredPath);
}

/**
 * The Chromium to launch: `configuredPath` (KEYLEDGER_CHROMIUM_PATH) when that file exists, else
 * Debian's, installed when missing and root.
 */
export function resolveChromium(configuredPath: string | undefined): string {
  if (configuredChromiumExists(configuredPath)) return configuredPath!;
  if (configuredPath !== undefined && configuredPath !== debianChromiumPath) {
    process.stderr.write(`keyledger: no Chromium at KEYLEDGER_CHROMIUM_PATH=${configuredPath}; using Debian's ${debianChromiumPath}\n`);
  }
  ensureDebianPackages([chromiumPiece], "Or set KEYLEDGER_CHROMIUM_PATH to another Chromium build.");
  return debianChromiumPath;
}
