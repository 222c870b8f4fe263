// index.html per path (api/http/webShell.ts, api/http/storefrontFirstData.ts): the path's screen
// chunk and the language table hinted beside the entry script, and the storefront pages' first
// API answers embedded. Expected chunk files are read from the build's manifest by hand here;
// every embedded answer is compared with what the API itself answers for that request.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { usePlatform } from "../support/platform.ts";

const dist = fileURLToPath(new URL("../../web/dist/", import.meta.url));
const manifest = JSON.parse(readFileSync(`${dist}.vite/manifest.json`, "utf8")) as Record<string, { file: string; isEntry?: boolean; imports?: string[] }>;

const hinted = (html: string) => [...html.matchAll(/<link rel="modulepreload" crossorigin href="\/([^"]+)">/g)].map((match) => match[1]!);
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
});
