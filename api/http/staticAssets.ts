// Serves the built web app (web/dist): each file's precompressed copy when the browser accepts
// it (brotli, else gzip; written beside each file at build time by web/vite.config.ts), and
// caching by name. Vite names every file under assets/ after a hash of its content, so such a
// file never changes: it is cached for a year and marked immutable (no revalidation on reload).
// Every other file (index.html, which names the current assets) is revalidated on each use.
// The app's JavaScript went out uncompressed before (321 kB instead of 99.5 kB gzipped).
import { readdirSync } from "node:fs";
import path from "node:path";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import type { Request, RequestHandler, Response } from "express";

/** Vite's output folder for content-hashed files. */
const hashedFolder = "assets/";
const hashedCacheControl = "public, max-age=31536000, immutable";
const revalidatedCacheControl = "no-cache";
/** Directory levels walked at start (Vite's output has two). */
const folderDepthMax = 8;
/**
 * Brotli quality for a page written per request (api/http/webShell.ts): a few kilobytes at
 * quality 5 take well under a millisecond and come within a few percent of quality 11.
 */
const documentBrotliQuality = 5;

export type StaticAssets = {
  /** Serves a file of the build, or passes the request on when there is none. */
  handler: RequestHandler;
  /** Answers with index.html (the client-side router's entry for every other path). */
  sendIndex(req: Request, res: Response): void;
  /** Answers with an HTML page written for this request (index.html with its hints), compressed as accepted, revalidated on each use. */
  sendDocument(req: Request, res: Response, html: string): void;
};

export function serveStaticAssets(distDir: string): StaticAssets {
  const files = listFiles(distDir);
  const send = (req: Request, res: Response, relative: string) => {
    const encoding =
      files.has(`${relative}.br`) || files.has(`${relative}.gz`)
        ? chooseEncoding(req.headers["accept-encoding"], { br: files.has(`${relative}.br`), gzip: files.has(`${relative}.gz`) })
        : undefined;
    res.type(path.extname(relative));
    res.setHeader("cache-control", relative.startsWith(hashedFolder) ? hashedCacheControl : revalidatedCacheControl);
    // Set whenever a compressed copy exists, so caches keep one answer per encoding.
    if (files.has(`${relative}.br`) || files.has(`${relative}.gz`)) res.vary("accept-encoding");
    if (encoding) res.setHeader("content-encoding", encoding.name);
    res.sendFile(path.join(distDir, relative + (encoding?.suffix ?? "")), { cacheControl: false, dotfiles: "deny" });
  };
  return {
    handler(req, res, next) {
      if (req.method !== "GET" && req.method !== "HEAD") return next();
      let relative: string;
      try {
        relative = path.posix.normalize(decodeURIComponent(req.path)).replace(/^\/+/, "");
      } catch {
        return next(); // a malformed escape names no file
      }
      if (!files.has(relative)) return next();
      send(req, res, relative);
    },
    sendIndex(req, res) {
      send(req, res, "index.html");
    },
    sendDocument(req, res, html) {
      const body = Buffer.from(html);
      const encoding = chooseEncoding(req.headers["accept-encoding"], { br: true, gzip: true });
      res.type("html");
      res.setHeader("cache-control", revalidatedCacheControl);
      res.vary("accept-encoding");
      if (!encoding) {
        res.send(body);
        return;
      }
      res.setHeader("content-encoding", encoding.name);
      res.send(
        encoding.name === "br"
          ? brotliCompressSync(body, {
              params: { [zlibConstants.BROTLI_PARAM_QUALITY]: documentBrotliQuality, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length },
            })
          : gzipSync(body),
      );
    },
  };
}

type Encoding = { name: "br" | "gzip"; suffix: ".br" | ".gz" };

/** Brotli if accepted and available, else gzip, else none; an encoding with q=0 is refused. */
function chooseEncoding(acceptEncoding: string | undefined, available: { br: boolean; gzip: boolean }): Encoding | undefined {
  const accepted = new Set(
    (acceptEncoding ?? "")
      .split(",")
      .map((part) => part.trim().split(";"))
      .filter(([, ...parameters]) => !parameters.some((parameter) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(parameter)))
      .map(([name]) => name!.trim().toLowerCase()),
  );
  if (accepted.has("br") && available.br) return { name: "br", suffix: ".br" };
  if (accepted.has("gzip") && available.gzip) return { name: "gzip", suffix: ".gz" };
  return undefined;
}

/** Every file under `root`, as slash-separated paths relative to it. */
function listFiles(root: string): Set<string> {
  const found = new Set<string>();
  const walk = (folder: string, prefix: string, depth: number) => {
    if (depth > folderDepthMax) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      if (entry.isDirectory()) walk(path.join(folder, entry.name), `${prefix}${entry.name}/`, depth + 1);
      else if (entry.isFile()) found.add(`${prefix}${entry.name}`);
    }
  };
  walk(root, "", 0);
  return found;
}
