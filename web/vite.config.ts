// Builds the web app into web/dist, which the platform serves (api/http/app.ts). The budget
// plugin fails the build when the first screen's JavaScript (the entry chunk and every chunk it
// imports statically) exceeds firstScreenGzipBytesMax gzipped; lazy chunks (the in-browser
// verifier, the merchant console, the charts) do not count, which is why they are lazy.
// Every text file of the build is also written precompressed (brotli and gzip), so the server
// sends the smaller copy without compressing per request (api/http/staticAssets.ts).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

/** The budget: the first screen loads at most 200 kB of JavaScript, gzipped. */
export const firstScreenGzipBytesMax = 200 * 1000;

function firstScreenBudget(limitBytes: number): Plugin {
  return {
    name: "keyledger-first-screen-budget",
    apply: "build",
    generateBundle(_options, bundle) {
      const entries = Object.values(bundle).filter((file) => file.type === "chunk" && file.isEntry);
      const seen = new Set<string>();
      const queue = entries.map((entry) => entry.fileName);
      let gzipBytes = 0;
      // Bounded: each chunk is visited once and the bundle is finite.
      while (queue.length) {
        const name = queue.pop()!;
        if (seen.has(name)) continue;
        seen.add(name);
        const chunk = bundle[name];
        if (chunk?.type !== "chunk") continue;
        gzipBytes += gzipSync(chunk.code, { level: 9 }).length;
        queue.push(...chunk.imports);
      }
      const report = { firstScreenGzipBytes: gzipBytes, limitBytes, chunks: [...seen] };
      this.emitFile({ type: "asset", fileName: "budget.json", source: JSON.stringify(report, null, 2) });
      const line = `first-screen JavaScript: ${(gzipBytes / 1000).toFixed(1)} kB gzipped (budget ${(limitBytes / 1000).toFixed(0)} kB) in ${seen.size} chunk(s)`;
      if (gzipBytes > limitBytes) this.error(`Over budget: ${line}. Lazy-load what the first screen does not need.`);
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
  build: {
    outDir: "dist",
    emptyOutDir: true,
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
