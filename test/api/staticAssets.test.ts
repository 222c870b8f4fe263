// The built web app is served precompressed: the build writes a brotli and a gzip copy beside
// each text file (web/vite.config.ts), and the server sends the best one the browser accepts,
// with the raw file's type, Vary: Accept-Encoding, and a year's immutable caching for
// content-hashed files under assets/ (index.html is revalidated). Compressed bodies are
// checked by decompressing them with node:zlib and comparing with the raw file.
import { expect } from "chai";
import express from "express";
import { readdirSync, readFileSync } from "node:fs";
import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { serveStaticAssets } from "../../api/http/staticAssets.ts";

const dist = fileURLToPath(new URL("../../web/dist/", import.meta.url));

type RawResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

function get(port: number, pathname: string, acceptEncoding?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: pathname, headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("web app assets: precompressed, cached by name", () => {
  let server: Server;
  let port: number;
  const assetNames = readdirSync(path.join(dist, "assets"));
  const entry = readFileSync(path.join(dist, "index.html"), "utf8").match(/src="\/(assets\/index-[^"]+\.js)"/)![1]!;

  before(async () => {
    const app = express();
    const assets = serveStaticAssets(dist);
    app.use(assets.handler);
    app.get(/^\/(?!api\/).*/, (req, res) => assets.sendIndex(req, res));
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it("the build writes a brotli and a gzip copy of every script and style sheet, each the same bytes", () => {
    const texts = assetNames.filter((name) => /\.(js|css)$/.test(name) && readFileSync(path.join(dist, "assets", name)).length >= 1024);
    expect(texts.length).to.be.greaterThan(3);
    for (const name of texts) {
      const raw = readFileSync(path.join(dist, "assets", name));
      expect(brotliDecompressSync(readFileSync(path.join(dist, "assets", `${name}.br`))).equals(raw), `${name}.br`).to.equal(true);
      expect(gunzipSync(readFileSync(path.join(dist, "assets", `${name}.gz`))).equals(raw), `${name}.gz`).to.equal(true);
    }
  });

  it("sends brotli when accepted, else gzip, else the raw file, with immutable caching for hashed files", async () => {
    const raw = readFileSync(path.join(dist, entry));
    const brotli = await get(port, `/${entry}`, "gzip, deflate, br");
    expect(brotli.status).to.equal(200);
    expect(brotli.headers["content-encoding"]).to.equal("br");
    expect(brotli.headers["content-type"]).to.match(/^text\/javascript|^application\/javascript/);
    expect(brotli.headers["cache-control"]).to.equal("public, max-age=31536000, immutable");
    expect(brotli.headers.vary).to.match(/accept-encoding/i);
    expect(brotliDecompressSync(brotli.body).equals(raw)).to.equal(true);
    expect(brotli.body.length, "brotli is less than a third of the raw script").to.be.lessThan(raw.length / 3);

    const gzip = await get(port, `/${entry}`, "gzip");
    expect(gzip.headers["content-encoding"]).to.equal("gzip");
    expect(gunzipSync(gzip.body).equals(raw)).to.equal(true);

    const refusedBrotli = await get(port, `/${entry}`, "br;q=0, gzip");
    expect(refusedBrotli.headers["content-encoding"]).to.equal("gzip");

    const identity = await get(port, `/${entry}`);
    expect(identity.headers["content-encoding"]).to.equal(undefined);
    expect(identity.body.equals(raw)).to.equal(true);
  });

  it("revalidates index.html, served for the client's routes too, and passes unknown files on", async () => {
    for (const pathname of ["/index.html", "/shop/demo"]) {
      const page = await get(port, pathname, "br");
      expect(page.status, pathname).to.equal(200);
      expect(page.headers["cache-control"], pathname).to.equal("no-cache");
      expect(page.headers["content-type"], pathname).to.match(/^text\/html/);
    }
    expect((await get(port, "/assets/no-such-file.js")).status).to.equal(200); // the client router's page
    expect((await get(port, "/assets/..%2f..%2fpackage.json")).body.toString()).not.to.include('"name": "keyledger"');
  });

  it("serves a real robots.txt (crawlers may read the pages, not the API), not the app's page", async () => {
    const robots = await get(port, "/robots.txt");
    expect(robots.status).to.equal(200);
    expect(robots.headers["content-type"]).to.match(/^text\/plain/);
    const lines = robots.body.toString().split("\n");
    expect(lines).to.include.members(["User-agent: *", "Allow: /", "Disallow: /api/"]);
    expect(robots.body.toString()).not.to.include("<html");
  });
});
