// GET /api/search over the running platform: a Chinese product by a two-character substring, an
// English one through a typo, filters, ranking by sales between equal matches (real sales:
// imported and anchored keys, checkouts paid through the sandbox gateway), and bad input.
import { expect } from "chai";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, type MerchantSetup, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { usePlatform, waitFor } from "../support/platform.ts";

describe("GET /api/search", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let setup: MerchantSetup;
  const ids: Record<string, string> = {};

  const search = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    suite.platform.http.request("GET", `/api/search?${new URLSearchParams(params)}`, undefined, headers);

  before(async () => {
    setup = await setupMerchant(suite.platform);
    ids.honour = await createProduct(setup, { name: "王者荣耀点券 60元", description: "官方直充", priceMinor: "6000" });
    ids.netflix = await createProduct(setup, { name: "Netflix Premium 1 month", category: "subscription", priceMinor: "9900" });
    ids.office = await createProduct(setup, { name: "Office 2024 licence", category: "software_licence", priceMinor: "30000" });
    // Two products that match "steam wallet" equally (the same words in the name); the second
    // one sells two units, the first none.
    ids.steamQuiet = await createProduct(setup, { name: "Steam Wallet card", priceMinor: "5000" });
    ids.steamSold = await createProduct(setup, { name: "Steam Wallet card", priceMinor: "5000" });
    await importKeys(setup, ids.steamSold, randomKeys(3, "STM"));
    const checkout = await suite.platform.http.post("/api/orders", {
      productId: ids.steamSold,
      quantity: 2,
      contact: "s@example.com",
      queryPassword: "pass-1234",
    });
    expect(checkout.status, checkout.text).to.equal(201);
    await suite.platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "T-SEARCH-1")));
    await waitFor("fulfilment", async () => {
      const view = await suite.platform.http.get(`/api/orders/${checkout.body.order.id}?token=${checkout.body.accessToken}`);
      return view.body.state === "fulfilled" ? true : undefined;
    });
  });

  it("finds a Chinese product by a two-character substring of its name", async () => {
    const response = await search({ q: "荣耀" });
    expect(response.status, response.text).to.equal(200);
    expect(response.body.products.map((hit: { id: string }) => hit.id)).to.deep.equal([ids.honour]);
    // Full-width digits and a substring spanning the name's characters: NFKC makes ６０ read as 60.
    const wide = await search({ q: "点券 ６０" });
    expect(wide.body.products.map((hit: { id: string }) => hit.id)).to.deep.equal([ids.honour]);
  });

  it("finds an English product through a typo, and in any case", async () => {
    for (const q of ["netflx", "NETFLIX premum"]) {
      const response = await search({ q });
      expect(response.status, response.text).to.equal(200);
      expect(
        response.body.products.map((hit: { id: string }) => hit.id),
        q,
      ).to.deep.equal([ids.netflix]);
    }
    // A word that is close to nothing finds nothing.
    const none = await search({ q: "playstation" });
    expect(none.body.products).to.deep.equal([]);
  });

  it("ranks the better-selling of two equal matches first, by the documented formula", async () => {
    const response = await search({ q: "steam wallet" });
    expect(response.status, response.text).to.equal(200);
    const hits = response.body.products as { id: string; unitsSold: string; relevance: number; score: number }[];
    expect(hits.map((hit) => hit.id)).to.deep.equal([ids.steamSold, ids.steamQuiet]);
    expect(hits.map((hit) => hit.unitsSold)).to.deep.equal(["2", "0"]);
    // Both words are in both names: relevance 1 each; the score is 1 × (1 + 0.05 × ln(1 + 2)).
    expect(hits.map((hit) => hit.relevance)).to.deep.equal([1, 1]);
    expect(hits[0]!.score).to.be.closeTo(1 + 0.05 * Math.log(3), 1e-9);
    expect(hits[1]!.score).to.equal(1);
  });

  it("filters by category and price range, and suggests the shop for a plain search", async () => {
    const byCategory = await search({ q: "licence", category: "software_licence" });
    expect(byCategory.body.products.map((hit: { id: string }) => hit.id)).to.deep.equal([ids.office]);
    const wrongCategory = await search({ q: "licence", category: "game_card" });
    expect(wrongCategory.body.products).to.deep.equal([]);
    const cheap = await search({ q: "card", maxPriceMinor: "5000" });
    expect(cheap.body.products.map((hit: { id: string }) => hit.id).sort()).to.deep.equal([ids.steamQuiet, ids.steamSold].sort());
    const dear = await search({ q: "card", minPriceMinor: "5001" });
    expect(dear.body.products).to.deep.equal([]);
    const shop = await suite.platform.http.get(`/api/shops/${setup.shopId}`);
    const shops = await search({ q: shop.body.slug });
    expect(shops.body.shops.map((hit: { id: string }) => hit.id)).to.deep.equal([setup.shopId]);
  });

  it("treats operators and quotes as plain characters, never as SQL or patterns", async () => {
    for (const q of ["%%", "__", "' OR 1=1 --", "a & b | !c:*", "\\\\", "荣耀%"]) {
      const response = await search({ q });
      expect(response.status, `${q}: ${response.text}`).to.equal(200);
      expect(response.body.products, q).to.deep.equal([]);
    }
    // Typo tolerance reads words only, so quotes around one are ignored, never an error.
    const quoted = await search({ q: '"steam"' });
    expect(quoted.body.products.map((hit: { id: string }) => hit.id)).to.deep.equal([ids.steamSold, ids.steamQuiet]);
  });

  it("refuses empty, one-character, huge, many-word and contradictory searches with 400 and a reason", async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, "query.q"],
      [{ q: "" }, "query.q"],
      [{ q: "   " }, "query.q"],
      [{ q: "荣" }, "at least 2 characters"],
      [{ q: "x".repeat(101) }, "query.q"],
      [{ q: "a1 b2 c3 d4 e5 f6 g7 h8 i9" }, "at most 8 words"],
      [{ q: "steam", minPriceMinor: "10", maxPriceMinor: "5" }, "must not exceed"],
      [{ q: "steam", minPriceMinor: "-1" }, "query.minPriceMinor"],
      [{ q: "steam", category: "weapons" }, "query.category"],
      [{ q: "steam", limit: "500" }, "query.limit"],
      [{ q: "steam", unknown: "1" }, "query"],
    ];
    for (const [params, reason] of cases) {
      const response = await search(params);
      expect(response.status, JSON.stringify(params)).to.equal(400);
      expect(response.body.code).to.equal("validation_failed");
      expect(response.body.message, JSON.stringify(params)).to.contain(reason);
    }
    // Control characters (NUL reached PostgreSQL as a 500 once) are refused before any query.
    const nul = await suite.platform.http.get("/api/search?q=ab%00cd");
    expect(nul.status).to.equal(400);
  });

  it("limits searches per client address, counting only searches that ran", async () => {
    const budget = suite.platform.ctx.config.throttles.searchRequestsPerMinuteMax;
    const client = { "x-forwarded-for": "203.0.113.77" };
    // A refused (400) search costs nothing.
    expect((await search({ q: "x" }, client)).status).to.equal(400);
    for (let index = 0; index < budget; index++) {
      const response = await search({ q: "steam" }, client);
      expect(response.status, `search ${index + 1} of ${budget}`).to.equal(200);
    }
    const refused = await search({ q: "steam" }, client);
    expect(refused.status).to.equal(429);
    expect(refused.body.code).to.equal("rate_limited");
    expect(refused.body.details.retryAfterSeconds).to.be.within(1, 60);
    // Another address still searches.
    expect((await search({ q: "steam" }, { "x-forwarded-for": "203.0.113.78" })).status).to.equal(200);
  });
});
