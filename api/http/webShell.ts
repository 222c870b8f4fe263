// index.html, written per path: the built shell with the boot script (web/public/boot.js) naming
// the path's screen chunk and language table beside the entry, so all start at once after the
// first paint (the entry script would otherwise ask for them only once it ran),
// and, for the public storefront pages, the page's first API answers embedded as JSON, so the
// first render needs no request after the scripts (web/src/firstData.ts reads them), and the
// page's first paint (api/http/firstPaint.ts) inside #root, which paints before any script.
// Without these, the first screen waited on four round trips in a row: the entry script, the
// screen chunk and messages, the API call (issue 22, item 6).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { bigintReplacer } from "../../core/json.ts";
import { languageModules, matchRoute, screenModules } from "../../core/webRoutes.ts";
import { firstPaintHtml } from "./firstPaint.ts";
import type { StorefrontFirstData } from "./storefrontFirstData.ts";

/** One chunk of Vite's manifest (dist/.vite/manifest.json), the fields read here. */
type ManifestChunk = { file: string; imports?: string[]; isEntry?: boolean };
type Manifest = Record<string, ManifestChunk>;

/** The page's first API answers, by request ("/api/shops?limit=20"), for web/src/firstData.ts. */
export type FirstData = Record<string, unknown>;

/** The id of the embedded answers' element; web/src/firstData.ts reads the same. */
export const firstDataElementId = "kl-first-data";

export type WebShell = {
  /** index.html for `pathname`, with its screen's hints, its first paint and, when given, the embedded answers. */
  documentFor(pathname: string, acceptLanguage: string | undefined, first?: StorefrontFirstData): string;
  /** The CSP sources ('sha256-…') of the style sheet inlined in every page: style-src allows exactly it. */
  inlineStyleSources: string[];
  /** The CSP source ('sha256-…') of the boot script inlined in every page: script-src allows exactly it. */
  inlineScriptSources: string[];
};

export function loadWebShell(distDir: string): WebShell {
  const { template: styled, inlineStyleSources } = inlineStyleSheet(distDir, readFileSync(path.join(distDir, "index.html"), "utf8"));
  const { template, entryFile, entryImports } = takeEntryScripts(styled);
  // web/public/boot.js, which starts the app after the first paint (it says why), written into
  // the page: as a file it cost one more request before the app could start. Its hash goes
  // into the Content-Security-Policy's script-src, so no other inline script runs.
  const bootSource = readFileSync(path.join(distDir, "boot.js"), "utf8");
  if (/<\/script/i.test(bootSource)) throw new Error("web/public/boot.js must not contain </script.");
  const inlineScriptSources = [`'sha256-${createHash("sha256").update(bootSource).digest("base64")}'`];
  const manifest = JSON.parse(readFileSync(path.join(distDir, ".vite/manifest.json"), "utf8")) as Manifest;
  // What the entry already loads (index.html names it and its imports): never named twice.
  const entryFiles = new Set(
    Object.entries(manifest)
      .filter(([, chunk]) => chunk.isEntry)
      .flatMap(([key]) => chunkFiles(manifest, key)),
  );
  const filesOf = (module: string) => chunkFiles(manifest, module).filter((file) => !entryFiles.has(file));
  // Computed once per screen and language: a request only picks them.
  const screenFiles = new Map(Object.entries(screenModules).map(([screen, module]) => [screen, filesOf(module)]));
  const languageFiles = { zh: filesOf(languageModules.zh), en: filesOf(languageModules.en) };
  return {
    documentFor(pathname, acceptLanguage, first) {
      const screen = matchRoute(pathname)?.screen ?? "notFound";
      const lang = preferredLanguage(acceptLanguage);
      const preload = [...entryImports, ...screenFiles.get(screen)!, ...languageFiles[lang]].map((file) => `/${file}`).join(" ");
      const boot = `<script data-entry="/${entryFile}" data-preload="${preload}">${bootSource}</script>`;
      const answers = first?.answers ?? {};
      const data = Object.keys(answers).length > 0 ? `<script type="application/json" id="${firstDataElementId}">${jsonForHtml(answers)}</script>\n  ` : "";
      const paint = firstPaintHtml(first?.paint ?? { screen: "none" }, lang, pathname);
      // Function replacements: a `$&` or `$'` in a product's (escaped) text must stay literal.
      return template
        .replace('<html lang="zh-CN">', () => `<html lang="${lang === "zh" ? "zh-CN" : "en"}">`)
        .replace("</body>", () => `  ${boot}\n  </body>`)
        .replace('<div id="root"></div>', () => `${data}<div id="root">${paint}</div>`);
    },
    inlineStyleSources,
    inlineScriptSources,
  };
}

/**
 * Vite's entry script and the modulepreload links of its imports, taken out of index.html: the
 * boot script (web/public/boot.js) asks for them after the page's first paint, with the path's
 * screen chunk and language table, all at once.
 */
function takeEntryScripts(html: string): { template: string; entryFile: string; entryImports: string[] } {
  const entry = html.match(/\s*<script type="module" crossorigin src="\/([^"]+)"><\/script>/);
  if (!entry) throw new Error("The web build's index.html has no entry script: rebuild the web app (npm run build:web).");
  const entryImports: string[] = [];
  const template = html.replace(entry[0], "").replace(/\s*<link rel="modulepreload" crossorigin href="\/([^"]+)">/g, (_, file: string) => {
    entryImports.push(file);
    return "";
  });
  return { template, entryFile: entry[1]!, entryImports };
}

/**
 * The app's style sheet (about 5 kB compressed) written into the page instead of linked: a
 * linked sheet blocks the first paint for one more round trip after the page. Its hash goes into
 * the Content-Security-Policy (api/http/contentSecurityPolicy.ts), so no other inline style runs.
 */
function inlineStyleSheet(distDir: string, html: string): { template: string; inlineStyleSources: string[] } {
  const link = html.match(/<link rel="stylesheet"(?: crossorigin)? href="\/(assets\/[^"]+\.css)">/);
  if (!link) return { template: html, inlineStyleSources: [] };
  const css = readFileSync(path.join(distDir, link[1]!), "utf8");
  if (/<\/style/i.test(css)) return { template: html, inlineStyleSources: [] };
  const hash = createHash("sha256").update(css).digest("base64");
  return { template: html.replace(link[0], () => `<style>${css}</style>`), inlineStyleSources: [`'sha256-${hash}'`] };
}

/** A chunk's file and every file it imports statically, each once, the chunk first. */
function chunkFiles(manifest: Manifest, key: string): string[] {
  const chunk = manifest[key];
  if (!chunk) throw new Error(`The web build's manifest has no chunk for ${key}: rebuild the web app (npm run build:web).`);
  const files: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const entry = manifest[name]!;
    files.push(entry.file);
    for (const imported of entry.imports ?? []) visit(imported);
  };
  visit(key);
  return files;
}

/**
 * The language the app will most likely show (web/src/i18n/i18n.tsx initialLang: a stored choice,
 * else the first of zh or en among the browser's languages, else zh). The stored choice is not
 * sent to the server: a wrong guess costs one table downloaded in vain, never a wrong page.
 */
export function preferredLanguage(acceptLanguage: string | undefined): "zh" | "en" {
  for (const part of (acceptLanguage ?? "").split(",")) {
    const primary = part.split(";")[0]!.trim().toLowerCase().split("-")[0];
    if (primary === "zh") return "zh";
    if (primary === "en") return "en";
  }
  return "zh";
}

/** JSON that cannot end its <script> element or open a comment: every <, > and & escaped. */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value, bigintReplacer)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
