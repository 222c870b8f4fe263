// The Content-Security-Policy header, directive by directive, on every kind of answer (the web
// app, an API answer through Express, a lean route's answer, an error, the docs page, the
// sandbox cashier); and the pages the platform writes itself carry no inline script or style
// but the two the policy allows by hash (the app's style sheet and boot script). The browser's side: test/web/contentSecurityPolicy.test.ts.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { usePlatform, type HttpResponse } from "../support/platform.ts";

const dist = fileURLToPath(new URL("../../web/dist/", import.meta.url));

/** The app's style sheet, which the pages carry inline (api/http/webShell.ts): its file from the build's manifest. */
function appStyleSheet(): string {
  const manifest = JSON.parse(readFileSync(`${dist}.vite/manifest.json`, "utf8")) as Record<string, { isEntry?: boolean; css?: string[] }>;
  const entry = Object.values(manifest).find((chunk) => chunk.isEntry)!;
  return readFileSync(`${dist}${entry.css![0]}`, "utf8");
}

/** The boot script the pages carry inline (api/http/webShell.ts): the built copy of web/public/boot.js. */
const bootScript = () => readFileSync(`${dist}boot.js`, "utf8");

/** The header as directive -> sources, in the order the sources were written. */
function parsePolicy(header: string | null): Record<string, string[]> {
  expect(header, "content-security-policy header").to.be.a("string");
  const directives: Record<string, string[]> = {};
  for (const part of header!.split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    expect(directives, `directive ${name} appears once`).not.to.have.property(name);
    directives[name] = sources;
  }
  return directives;
}

/** Inline <script> (without src; JSON data, which never runs, excepted), <style> elements, style="" and on*="" attributes. */
function inlineCode(html: string): string[] {
  return [
    ...html.matchAll(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/gi),
    ...html.matchAll(/<style\b[^>]*>/gi),
    ...html.matchAll(/\s(?:style|on[a-z]+)\s*=/gi),
  ].map((match) => match[0]);
}

describe("Content-Security-Policy header", function () {
  this.timeout(120_000);
  const suite = usePlatform({ seed: true, keysPerProduct: 2 });

  it("is strict on every kind of answer: no inline script, connect-src only this origin and the configured RPC", async () => {
    const platform = suite.platform;
    const http = platform.http;
    // Computed here from the platform's RPC URL, not by the code under test.
    const rpcOrigin = new URL(platform.rpcUrl).origin;
    expect(rpcOrigin).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The one inline style the policy allows: the app's style sheet, by its hash (computed here).
    const styleHash = `'sha256-${createHash("sha256").update(appStyleSheet()).digest("base64")}'`;
    // The one inline script it allows: the boot script, by its hash.
    const scriptHash = `'sha256-${createHash("sha256").update(bootScript()).digest("base64")}'`;
    const expected = {
      "default-src": ["'self'"],
      "script-src": ["'self'", scriptHash],
      "script-src-attr": ["'none'"],
      "style-src": ["'self'", styleHash],
      "connect-src": ["'self'", rpcOrigin],
      "img-src": ["'self'", "data:"],
      "font-src": ["'self'"],
      "object-src": ["'none'"],
      "base-uri": ["'self'"],
      "frame-ancestors": ["'none'"],
      "form-action": ["'self'"],
    };
    const answers: [string, HttpResponse][] = [
      ["web app", await http.get("/")],
      ["client-side route", await http.get("/shop/demo")],
      ["API through Express", await http.get("/api/shops")],
      ["lean route", await http.get("/api/orders/KL0000000000?token=nothing")],
      ["unknown API route", await http.get("/api/nothing-here")],
      ["docs page", await http.get("/api/docs")],
      ["health", await http.get("/healthz")],
    ];
    for (const [what, response] of answers) {
      expect(parsePolicy(response.headers.get("content-security-policy")), what).to.deep.equal(expected);
      expect(response.headers.get("x-frame-options"), what).to.equal("DENY");
    }
  });

  it("the pages the platform writes itself have no inline script or style, and their files are served", async () => {
    const http = suite.platform.http;
    const index = await http.get("/");
    expect(index.status).to.equal(200);
    // The app's style sheet is inline, exactly the built file (the policy allows its hash only).
    const styles = [...index.text.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]);
    expect(styles).to.deep.equal([appStyleSheet()]);
    // So is the boot script, exactly the built file, which names the entry module.
    const boots = [...index.text.matchAll(/<script data-entry="\/assets\/index-[\w-]+\.js" data-preload="[^"]*">([\s\S]*?)<\/script>/g)].map(
      (match) => match[1],
    );
    expect(boots).to.deep.equal([bootScript()]);
    const withoutAllowed = index.text
      .replace(`<style>${appStyleSheet()}</style>`, "")
      .replace(/<script data-entry="[^"]*" data-preload="[^"]*">[\s\S]*?<\/script>/, "");
    expect(inlineCode(withoutAllowed), "web/dist/index.html").to.deep.equal([]);

    const docs = await http.get("/api/docs");
    expect(inlineCode(docs.text), "/api/docs").to.deep.equal([]);
    const script = await http.get("/api/docs.js");
    expect([script.status, script.headers.get("content-type")]).to.deep.equal([200, "text/javascript; charset=utf-8"]);
    expect(script.text).to.include("fetch(specUrl)");
    const style = await http.get("/api/docs.css");
    expect([style.status, style.headers.get("content-type")]).to.deep.equal([200, "text/css; charset=utf-8"]);

    // The sandbox cashier, reached through a real checkout's payment link.
    const cashierStyle = await http.get("/sandbox/epay/cashier.css");
    expect([cashierStyle.status, cashierStyle.headers.get("content-type")]).to.deep.equal([200, "text/css; charset=utf-8"]);
    const shop = await http.get("/api/shops/by-slug/demo");
    const products = await http.get(`/api/shops/${shop.body.id}/products`);
    const checkout = await http.post("/api/orders", {
      productId: products.body.items[0].id,
      quantity: 1,
      contact: "csp-header@example.com",
      queryPassword: "csp-header-pass",
    });
    expect(checkout.status, checkout.text).to.equal(201);
    const paymentUrl = new URL(checkout.body.payment.url);
    const cashier = await http.get(`${paymentUrl.pathname}${paymentUrl.search}`);
    expect(cashier.status, cashier.text).to.equal(200);
    expect(inlineCode(cashier.text), "sandbox cashier").to.deep.equal([]);
    expect(cashier.text).to.include('<link rel="stylesheet" href="/sandbox/epay/cashier.css">');
  });
});
