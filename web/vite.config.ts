// Builds the web app into web/dist, which the platform serves (api/http/app.ts). The budget
// plugin fails the build when a first screen's JavaScript (the entry chunk, the screen's chunk
// and its language table, with what they import statically) exceeds firstScreenGzipBytesMax
// gzipped; lazy chunks (the in-browser verifier, the charts) do not count, which is why they
// are lazy.
// Every text file of the build is also written precompressed (brotli and gzip), so the server
// sends the smaller copy without compressing per request (api/http/staticAssets.ts).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

/** The budget: the first screen loads at most 100 kB of JavaScript, gzipped. */
export const firstScreenGzipBytesMax = 100 * 1000;

/**
 * The screens whose first visit the budget covers (the storefront, the merchant console, the
 * auditor explorer), by the module App.tsx loads for each, and the language tables (a visit
 * loads one: the larger counts).
 */
const budgetedScreens = [
  "pages/HomePage",
  "pages/ShopPage",
  "pages/ProductPage",
  "pages/OrderPage",
  "pages/VerifyPage",
  "merchant/MerchantPage",
  "auditor/AuditorPage",
];
const languageTables = ["i18n/en", "i18n/zh"];

/**
 * Sums, for each budgeted screen, the gzipped size of what its first visit loads: the entry
 * chunk, the screen's chunk and the larger language table, each with the chunks it imports
 * statically (what main.tsx awaits before the first render). Lazy parts of a screen (the
 * charts, the in-browser verifier) do not count, which is why they are lazy.
 */
function firstScreenBudget(limitBytes: number): Plugin {
  return {
    name: "keyledger-first-screen-budget",
    apply: "build",
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((file) => file.type === "chunk");
      const gzipSizes = new Map<string, number>();
      const gzipOf = (name: string) => {
        const chunk = bundle[name];
        if (chunk?.type !== "chunk") return 0;
        if (!gzipSizes.has(name)) gzipSizes.set(name, gzipSync(chunk.code, { level: 9 }).length);
        return gzipSizes.get(name)!;
      };
      /** A chunk and every chunk it imports statically. Bounded: each is visited once. */
      const closure = (names: string[]) => {
        const seen = new Set<string>();
        const queue = [...names];
        while (queue.length) {
          const name = queue.pop()!;
          if (seen.has(name)) continue;
          seen.add(name);
          const chunk = bundle[name];
          if (chunk?.type === "chunk") queue.push(...chunk.imports);
        }
        return seen;
      };
      const chunkOf = (module: string) => {
        const found = chunks.find((chunk) => chunk.facadeModuleId?.replace(/\.tsx?$/, "").endsWith(`/src/${module}`));
        if (!found) this.error(`The budget names ${module}, which is no chunk of its own: App.tsx must load it lazily.`);
        return found.fileName;
      };
      const entries = chunks.filter((chunk) => chunk.isEntry).map((chunk) => chunk.fileName);
      const sum = (names: Set<string>) => [...names].reduce((total, name) => total + gzipOf(name), 0);
      const language = languageTables.map(chunkOf).sort((a, b) => sum(closure([b])) - sum(closure([a])))[0]!;
      const screens = budgetedScreens.map((screen) => {
        const loaded = closure([...entries, language, chunkOf(screen)]);
        return { screen, gzipBytes: sum(loaded), chunks: [...loaded] };
      });
      const heaviest = screens.reduce((a, b) => (b.gzipBytes > a.gzipBytes ? b : a));
      const report = { firstScreenGzipBytes: heaviest.gzipBytes, heaviestScreen: heaviest.screen, limitBytes, screens };
      this.emitFile({ type: "asset", fileName: "budget.json", source: JSON.stringify(report, null, 2) });
      const perScreen = screens.map((screen) => `${screen.screen.split("/")[1]} ${(screen.gzipBytes / 1000).toFixed(1)}`).join(", ");
      const line = `first-screen JavaScript: ${(heaviest.gzipBytes / 1000).toFixed(1)} kB gzipped at most (budget ${(limitBytes / 1000).toFixed(0)} kB; ${perScreen})`;
      if (heaviest.gzipBytes > limitBytes) this.error(`Over budget: ${line}. Lazy-load what the first screen does not need.`);
      process.stdout.write(`${line}\n`);
    },
  };
}

/** Files worth compressing: text. Images and fonts of the build are compressed already. */
const compressibleFile = /\.(js|mjs|css|html|svg|json|txt|map)$/;
/** Below this a compressed copy saves less than its headers cost. */
const compressBytesMin = 1024;

/**
 * Writes name.br (brotli, best quality) and name.gz (gzip level 9) beside every compressible
 * file of the build, once at build time, where the best settings cost nothing per request.
 */
function precompressAssets(): Plugin {
  return {
    name: "keyledger-precompress",
    apply: "build",
    writeBundle(options, bundle) {
      const outDir = options.dir!;
      for (const file of Object.values(bundle)) {
        if (!compressibleFile.test(file.fileName)) continue;
        const source = Buffer.from(file.type === "chunk" ? file.code : file.source);
        if (source.length < compressBytesMin) continue;
        const target = path.join(outDir, file.fileName);
        writeFileSync(
          `${target}.br`,
          brotliCompressSync(source, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: source.length } }),
        );
        writeFileSync(`${target}.gz`, gzipSync(source, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react(), firstScreenBudget(firstScreenGzipBytesMax), precompressAssets()],
  resolve: {
    // The app is written against React's API and types; the browser runs Preact's compatible
    // implementation (about 11 kB gzipped instead of React DOM's 60 kB, most of the first
    // screen's JavaScript). docs/decisions.md, "Preact runs the React app".
    alias: [
      { find: /^react$/, replacement: "preact/compat" },
      { find: /^react-dom$/, replacement: "preact/compat" },
      { find: /^react-dom\/client$/, replacement: "preact/compat/client" },
      { find: /^react\/jsx-runtime$/, replacement: "preact/jsx-runtime" },
      { find: /^react\/jsx-dev-runtime$/, replacement: "preact/jsx-runtime" },
    ],
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // dist/.vite/manifest.json: each screen's chunk and what it imports, which the server names
    // in index.html per path so they download beside the entry script (api/http/webShell.ts).
    // Dot folders are never served (api/http/staticAssets.ts).
    manifest: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      // zod 4 ships `@__PURE__` comments where Rollup cannot use them; Rollup drops them and
      // warns at every build, burying `npm start`'s own output. Only that warning, and only for
      // dependencies, is silenced: our own code's annotations still warn.
      onwarn(warning, warn) {
        if (warning.code === "INVALID_ANNOTATION" && warning.id?.includes("/node_modules/")) return;
        warn(warning);
      },
    },
  },
});
