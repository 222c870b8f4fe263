// index.html per path (api/http/webShell.ts, api/http/storefrontFirstData.ts): the path's screen
// chunk and the language table hinted beside the entry script, and the storefront pages' first
// API answers embedded. Expected chunk files are read from the build's manifest by hand here;
// every embedded answer is compared with what the API itself answers for that request.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { usePlatform } from "../support/platform.ts";

const dist = fileURLToPath(new URL("../../web/dist/", import.meta.url));
const manifest = JSON.parse(readFileSync(`${dist}.vite/manifest.json`, "utf8")) as Record<string, { file: string; isEntry?: boolean; imports?: string[] }>;

/** The modules the inline boot script (web/public/boot.js) loads after the first paint, without their leading slash. */
const hinted = (html: string) =>
  (html.match(/<script data-entry="[^"]+" data-preload="([^"]*)">/)?.[1] ?? "")
    .split(" ")
    .filter(Boolean)
    .map((file) => file.slice(1));
const embedded = (html: string): Record<string, unknown> | undefined => {
  const found = html.match(/<script type="application\/json" id="kl-first-data">([\s\S]*?)<\/script>/);
  return found ? (JSON.parse(found[1]!) as Record<string, unknown>) : undefined;
};

describe("index.html per path: hints and first answers", function () {
  this.timeout(120_000);
  const suite = usePlatform({ seed: true, keysPerProduct: 2 });

  it("hints the path's screen chunk and the browser's language table, each file once", async () => {
    const http = suite.platform.http;
    const product = await http.request("GET", "/product/1", undefined, { "accept-language": "en-US,en;q=0.9" });
    expect(product.status).to.equal(200);
    const productHints = hinted(product.text);
    expect(productHints).to.include(manifest["src/pages/ProductPage.tsx"]!.file);
    expect(productHints).to.include(manifest["src/i18n/en.ts"]!.file);
    expect(productHints).not.to.include(manifest["src/i18n/zh.ts"]!.file);
    expect(productHints).not.to.include(manifest["src/merchant/MerchantPage.tsx"]!.file);
    expect(new Set(productHints).size, "no file hinted twice").to.equal(productHints.length);
    // The first paint is in the HTML: the app's modules are asked for by the boot script after it,
    // the entry and what it imports statically among them; none is fetched with the page.
    const entry = Object.values(manifest).find((chunk) => chunk.isEntry)!;
    expect(product.text).to.include(`data-entry="/${entry.file}"`);
    expect(productHints).to.include.members((entry.imports ?? []).map((key) => manifest[key]!.file));
    expect(product.text).not.to.match(/<script type="module"|<link rel="modulepreload"/);

    const console = await http.request("GET", "/merchant/overview", undefined, { "accept-language": "zh-CN,zh;q=0.9,en;q=0.8" });
    expect(hinted(console.text)).to.include.members([manifest["src/merchant/MerchantPage.tsx"]!.file, manifest["src/i18n/zh.ts"]!.file]);
    expect(hinted(console.text)).not.to.include(manifest["src/i18n/en.ts"]!.file);
    // No Accept-Language: the app's default, Chinese.
    expect(hinted((await http.get("/verify")).text)).to.include.members([manifest["src/pages/VerifyPage.tsx"]!.file, manifest["src/i18n/zh.ts"]!.file]);
    // An unknown path hints the not-found screen.
    expect(hinted((await http.get("/no/such/page")).text)).to.include(manifest["src/pages/NotFoundPage.tsx"]!.file);
  });

  it("embeds exactly what the API answers a guest for the home, shop and product pages, and nothing for an order", async () => {
    const http = suite.platform.http;
    const shop = (await http.get("/api/shops/by-slug/demo")).body as { id: string };
    // The seeded keys are committed by a job: stock moves until none is pending, so wait for that first.
    type Listed = { items: { id: string; pendingKeys: number }[] };
    let listed = (await http.get(`/api/shops/${shop.id}/products`)).body as Listed;
    for (let attempt = 0; listed.items.some((item) => item.pendingKeys > 0) && attempt < 120; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      listed = (await http.get(`/api/shops/${shop.id}/products`)).body as Listed;
    }
    expect(
      listed.items.every((item) => item.pendingKeys === 0),
      "the seeded keys are committed",
    ).to.equal(true);
    const productId = listed.items[0]!.id;
    const expectedKeys: Record<string, string[]> = {
      "/": ["/api/shops?limit=20"],
      "/shop/demo": ["/api/shops/by-slug/demo", `/api/shops/${shop.id}/products`, `/api/shops/${shop.id}/currencies`],
      [`/product/${productId}`]: [`/api/products/${productId}`, `/api/shops/${shop.id}`, `/api/shops/${shop.id}/currencies`],
    };
    for (const [page, keys] of Object.entries(expectedKeys)) {
      const answers = embedded((await http.get(page)).text);
      expect(Object.keys(answers ?? {}), page).to.deep.equal(keys);
      for (const key of keys) expect(answers![key], `${page}: ${key}`).to.deep.equal((await http.get(key)).body);
    }
    // Missing or malformed: nothing embedded (the page fetches and shows the API's error).
    for (const page of ["/shop/no-such-shop", "/product/999999999", "/product/abc", "/orders/KL0000000000?token=x", "/verify"]) {
      expect(embedded((await http.get(page)).text), page).to.equal(undefined);
    }
  });

  it("writes a product's name, price and description into the first paint as text: merchant markup is escaped, never parsed", async () => {
    const http = suite.platform.http;
    const suffix = randomBytes(4).toString("hex");
    const signup = await http.post("/api/auth/signup", { email: `paint-${suffix}@example.com`, password: "merchant-password-1", roles: ["merchant"] });
    expect(signup.status, signup.text).to.equal(201);
    const merchant = http.as(signup.body.token);
    const shopName = `Shop <img src=x onerror=alert(1)> "${suffix}"`;
    const shop = await merchant.post("/api/shops", { slug: `paint-${suffix}`, name: shopName, description: "</p><script>alert('shop')</script>" });
    expect(shop.status, shop.text).to.equal(201);
    const productName = `Card <script>alert("x")</script> & 'q' $& $'`;
    const product = await merchant.post(`/api/shops/${shop.body.id}/products`, {
      name: productName,
      description: "Line one <b>bold?</b>\nline two",
      category: "game_card",
      priceMinor: "123456",
      currency: "CNY",
      quantityMax: 10,
    });
    expect(product.status, product.text).to.equal(201);

    // Escaped by hand: & < > " ' become entities; "$&" and "$'" stay as typed (no replacement pattern).
    const nameHtml = "Card &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; $&amp; $&#39;";
    const shopHtml = `Shop &lt;img src=x onerror=alert(1)&gt; &quot;${suffix}&quot;`;
    const english = await http.request("GET", `/product/${product.body.id}`, undefined, { "accept-language": "en-GB,en;q=0.9" });
    expect(english.status).to.equal(200);
    const paint = english.text.slice(english.text.indexOf('<div id="root">'), english.text.indexOf("</body>"));
    expect(paint).to.include(`<h1 class="product-title">${nameHtml}</h1>`);
    expect(paint).to.include('<span class="price price-large">¥1,234.56</span><span class="badge badge-bad">Sold out</span>');
    expect(paint).to.include('<p class="pre-line">Line one &lt;b&gt;bold?&lt;/b&gt;\nline two</p>');
    expect(paint).to.include(`<a href="/shop/paint-${suffix}">${shopHtml}</a>`);
    expect(paint).to.include("<dd>1–10 pieces</dd>");
    expect(english.text).to.include('<html lang="en">');
    // The only scripts of the page are the app's own: none came from the merchant's text.
    const scripts = [...english.text.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(
      scripts.every((tag) => /^<script (type="application\/json"|data-entry=)/.test(tag)),
      scripts.join(" "),
    ).to.equal(true);
    expect(english.text).not.to.match(/<script>alert|<img src=x/);

    // Chinese by default; the shop page's banner carries the shop's name and description, escaped.
    const chinese = (await http.get(`/product/${product.body.id}`)).text;
    expect(chinese).to.include('<html lang="zh-CN">');
    expect(chinese).to.include("<dd>1–10 件</dd>");
    expect(chinese).to.include('<span class="badge badge-bad">已售罄</span>');
    const shopPage = (await http.get(`/shop/paint-${suffix}`)).text;
    expect(shopPage).to.include(`<h1>${shopHtml}</h1><p class="muted">&lt;/p&gt;&lt;script&gt;alert(&#39;shop&#39;)&lt;/script&gt;</p>`);
    expect(shopPage).not.to.match(/<script>alert|<img src=x/);
  });

  it("writes the heading of the home, verify, console and auditor pages, and only the top bar elsewhere", async () => {
    const http = suite.platform.http;
    const english = (page: string) => http.request("GET", page, undefined, { "accept-language": "en" }).then((response) => response.text);
    expect(await english("/")).to.include('<section class="hero"><h1>Card keys you can check yourself</h1><p class="hero-lead">');
    expect(await english("/verify")).to.include('<header class="page-header"><div><h1>Verify a key</h1><p class="page-subtitle">Paste a key');
    expect(await english("/merchant/overview")).to.include(
      '<div class="stack-lg console"><header class="page-header"><div><h1>Merchant console</h1></div></header></div>',
    );
    expect(await english("/audit/batches")).to.include("<h1>Audit explorer</h1>");
    // An order page needs the buyer's token to show anything: the top bar and an empty main.
    const order = await english("/orders/KL0000000000?token=x");
    expect(order).to.include('<main id="main" class="main" tabindex="-1"></main>');
    expect(order).to.include('<a href="/" class="brand">');
    expect(await english("/no/such/page")).to.include('<main id="main" class="main" tabindex="-1"></main>');
  });
});
