// Recommendations through the API after real purchases (checkout, signed EPay notification,
// fulfilment, issuance): the job counts them, and a product's list puts the product bought
// with it most first, with the cosine worked out by hand; a product nobody bought yet gets
// content-similar products; paused products never appear; a view is recorded for signed-in
// readers only; bad ids are refused.
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { updateRecommendations } from "../../api/services/recommendations/updateRecommendations.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import { buyFromShop, signUp, startResalePlatform, type Person } from "../resale/support.ts";

describe("recommendations through the API", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  const ids: Record<"netflix" | "spotify" | "steam" | "netflixLong" | "tencent", string> = {} as never;
  let buyers: Person[];

  before(async () => {
    platform = await startResalePlatform();
    setup = await setupMerchant(platform);
    // buyFromShop expects a sealed key: the products allow resale.
    ids.netflix = await createProduct(setup, { name: "Netflix Premium 1 month", resaleAllowed: true });
    ids.spotify = await createProduct(setup, { name: "Spotify Family plan", resaleAllowed: true });
    ids.steam = await createProduct(setup, { name: "Steam wallet card", resaleAllowed: true });
    // Nobody buys these: the cold start.
    ids.netflixLong = await createProduct(setup, { name: "Netflix Premium 3 months", category: "subscription" });
    ids.tencent = await createProduct(setup, { name: "腾讯视频 VIP 月卡", category: "subscription" });
    for (const product of [ids.netflix, ids.spotify, ids.steam]) await importKeys(setup, product, randomKeys(4, "REC"));
    buyers = [await signUp(platform, "recs-a"), await signUp(platform, "recs-b"), await signUp(platform, "recs-c")];
    // a: netflix + spotify; b: netflix + spotify; c: netflix + steam.
    for (const [buyer, product] of [
      [0, ids.netflix],
      [0, ids.spotify],
      [1, ids.netflix],
      [1, ids.spotify],
      [2, ids.netflix],
      [2, ids.steam],
    ] as const)
      await buyFromShop(platform, setup, buyers[buyer]!, product);
    // The job reads a signal once no transaction older than it is open (its horizon): run it
    // until the six purchases are counted.
    await waitFor("the six purchases counted", async () => {
      await updateRecommendations(platform.ctx.database.db);
      return (await sightings()) === 6;
    });
  });
  after(async () => {
    await platform?.stopAll();
  });

  const sightings = async () =>
    (await queryOne<{ count: number }>(platform.ctx.database.db, sql`SELECT count(*)::int AS count FROM recommendation_user_items`))!.count;

  const recommendations = async (productId: string) => {
    const response = await platform.http.get(`/api/products/${productId}/recommendations`);
    expect(response.status, response.text).to.equal(200);
    return response.body.items as { id: string; score: number; reason: string }[];
  };

  it("lists the product bought with it most first, by cosine similarity", async () => {
    const items = await recommendations(ids.netflix);
    // n(netflix) = 3, n(spotify) = 2, n(steam) = 1; count(netflix, spotify) = 2, count(netflix, steam) = 1.
    expect(items.slice(0, 2).map((item) => [item.id, item.reason])).to.deep.equal([
      [ids.spotify, "behaviour"],
      [ids.steam, "behaviour"],
    ]);
    expect(items[0]!.score).to.be.closeTo(2 / Math.sqrt(3 * 2), 1e-9);
    expect(items[1]!.score).to.be.closeTo(1 / Math.sqrt(3 * 1), 1e-9);
    expect(items.map((item) => item.id)).not.to.include(ids.netflix);
    // Spotify's buyers all bought Netflix: it comes first there, and Steam (no shared buyer) does not come by behaviour.
    const spotify = await recommendations(ids.spotify);
    expect(spotify[0]).to.include({ id: ids.netflix, reason: "behaviour" });
    expect(spotify[0]!.score).to.be.closeTo(2 / Math.sqrt(3 * 2), 1e-9);
    expect(spotify.filter((item) => item.reason === "behaviour").map((item) => item.id)).to.deep.equal([ids.netflix]);
  });

  it("answers a product nobody bought yet with content-similar products of its category or shop", async () => {
    const items = await recommendations(ids.netflixLong);
    expect(items[0]).to.include({ id: ids.netflix, reason: "content" });
    expect(items.every((item) => item.reason !== "behaviour")).to.equal(true);
  });

  it("answers 'for you' from the account's items, without what it bought", async () => {
    const response = await buyers[2]!.client.get("/api/me/recommendations");
    expect(response.status, response.text).to.equal(200);
    const items = response.body.items as { id: string; reason: string; score: number }[];
    // c has netflix and steam: spotify is similar to netflix (2 / sqrt(6)), to steam not at all.
    expect(items[0]).to.include({ id: ids.spotify, reason: "behaviour" });
    expect(items[0]!.score).to.be.closeTo(2 / Math.sqrt(6), 1e-9);
    expect(items.map((item) => item.id)).not.to.include.members([ids.netflix]);
    expect(items.map((item) => item.id)).not.to.include(ids.steam);
    expect((await platform.http.get("/api/me/recommendations")).status).to.equal(401);
  });

  it("never lists a paused product, and has no list for one", async () => {
    const paused = await setup.merchant.patch(`/api/products/${ids.spotify}`, { status: "paused" });
    expect(paused.status, paused.text).to.equal(200);
    try {
      expect((await recommendations(ids.netflix)).map((item) => item.id)).not.to.include(ids.spotify);
      expect((await buyers[2]!.client.get("/api/me/recommendations")).body.items.map((item: { id: string }) => item.id)).not.to.include(ids.spotify);
      const own = await platform.http.get(`/api/products/${ids.spotify}/recommendations`);
      expect(own.status).to.equal(404);
      expect(own.body.code).to.equal("not_found");
    } finally {
      await setup.merchant.patch(`/api/products/${ids.spotify}`, { status: "active" });
    }
  });

  it("records a view for a signed-in reader of an active product only, and counts it", async () => {
    const views = async () =>
      (await queryOne<{ count: number }>(platform.ctx.database.db, sql`SELECT count(*)::int AS count FROM product_views WHERE product_id = ${ids.tencent}`))!
        .count;
    expect((await platform.http.get(`/api/products/${ids.tencent}`)).status).to.equal(200);
    expect(await views()).to.equal(0);
    expect((await buyers[0]!.client.get(`/api/products/${ids.tencent}`)).status).to.equal(200);
    expect(await views()).to.equal(1);
    // The view makes tencent one of a's items: a's other items now pair with it.
    await waitFor("the view counted", async () => {
      await updateRecommendations(platform.ctx.database.db);
      return (await sightings()) === 7;
    });
    const pair = await queryOne<{ accounts: string }>(
      platform.ctx.database.db,
      sql`SELECT accounts::text FROM item_pairs WHERE product_a = least(${ids.netflix}::bigint, ${ids.tencent}::bigint) AND product_b = greatest(${ids.netflix}::bigint, ${ids.tencent}::bigint)`,
    );
    expect(pair?.accounts).to.equal("1");
    // A viewed product the account has not bought is "for you"; what it bought is not.
    const forYou = (await buyers[0]!.client.get("/api/me/recommendations")).body.items.map((item: { id: string }) => item.id);
    expect(forYou).to.include(ids.tencent);
    expect(forYou).not.to.include.members([ids.netflix]);
    expect(forYou).not.to.include(ids.spotify);
  });

  it("refuses a malformed id with 400 and an unknown one with 404", async () => {
    const malformed = await platform.http.get("/api/products/abc/recommendations");
    expect(malformed.status).to.equal(400);
    expect(malformed.body.code).to.equal("validation_failed");
    const unknown = await platform.http.get("/api/products/999999999/recommendations");
    expect(unknown.status).to.equal(404);
    const badLimit = await platform.http.get(`/api/products/${ids.netflix}/recommendations?limit=500`);
    expect(badLimit.status).to.equal(400);
  });
});
