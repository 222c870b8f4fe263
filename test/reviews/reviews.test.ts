// Verified reviews over the running platform: refused before the entitlement's issuance is on
// the chain and accepted after, its "verified" link the real issuance transaction (read back from
// the chain); one per entitlement (also under a race), for its own product only; one merchant
// reply; reports and an admin's hide and restore (audited); the rating's counters equal a
// recount of the rows and the sums written out by hand after every change.
import { expect } from "chai";
import { createPublicClient, http, parseEventLogs } from "viem";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createProduct, importKeys, type MerchantSetup, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";
import { createStaffAccount } from "../support/staff.ts";
import { buyFromShop, type Person, signUp, waitIssued } from "../resale/support.ts";

describe("verified reviews", function () {
  this.timeout(300_000);
  // Issuance waits for a sweep every 15 s, so a review sent right after fulfilment meets an
  // entitlement that is not on the chain yet.
  const suite = usePlatform({ env: { ISSUE_BATCH_WAIT_MS: "15000" } });
  let setup: MerchantSetup;
  let otherShop: MerchantSetup;
  let productId: string;
  let otherProductId: string;
  let buyer: Person;
  let otherBuyer: Person;
  let admin: Awaited<ReturnType<typeof createStaffAccount>>;
  let firstReviewId: string;

  const reviewsRows = async () => (await queryOne<{ n: number }>(suite.platform.ctx.database.db, sql`SELECT count(*)::int AS n FROM reviews`))!.n;

  /** The counters, and a recount of the visible rows (computed apart from the service's counters). */
  async function ratingAndRecount(): Promise<{ counters: [string, string]; recount: [string, string] }> {
    const db = suite.platform.ctx.database.db;
    const counters = await queryOne<{ c: string; t: string }>(
      db,
      sql`SELECT reviews_count::text AS c, stars_total::text AS t FROM product_ratings WHERE product_id = ${productId}`,
    );
    const recount = await queryOne<{ c: string; t: string }>(
      db,
      sql`SELECT count(*)::text AS c, coalesce(sum(stars), 0)::text AS t FROM reviews WHERE product_id = ${productId} AND status = 'visible'`,
    );
    return { counters: [counters?.c ?? "0", counters?.t ?? "0"], recount: [recount!.c, recount!.t] };
  }

  async function expectRating(count: number, total: number): Promise<void> {
    const { counters, recount } = await ratingAndRecount();
    expect(counters, "counters").to.deep.equal([String(count), String(total)]);
    expect(recount, "recount of the rows").to.deep.equal([String(count), String(total)]);
    const listed = await suite.platform.http.get(`/api/products/${productId}/reviews`);
    expect(listed.body.rating.reviewsCount).to.equal(String(count));
    expect(listed.body.rating.average).to.equal(count === 0 ? null : Math.round((total / count) * 100) / 100);
  }

  before(async () => {
    const { platform } = suite;
    [setup, otherShop] = await Promise.all([setupMerchant(platform), setupMerchant(platform)]);
    productId = await createProduct(setup, { name: "Reviewed card", resaleAllowed: true });
    otherProductId = await createProduct(setup, { name: "Another card", resaleAllowed: true });
    await Promise.all([importKeys(setup, productId, randomKeys(6, "REV")), importKeys(setup, otherProductId, randomKeys(2, "OTH"))]);
    [buyer, otherBuyer] = await Promise.all([signUp(platform, "reviewer"), signUp(platform, "other-reviewer")]);
    admin = await createStaffAccount(platform, "moderator", ["admin"]);
  });

  it("refuses a review before the entitlement is issued on-chain, and accepts it after, linked to the issuance", async () => {
    const { platform } = suite;
    const db = platform.ctx.database.db;
    // Bounded retries: if a sweep happens to issue the entitlement between fulfilment and the
    // review, that purchase proves nothing about the refusal and another one is made.
    let entitlementId: string | undefined;
    for (let attempt = 0; attempt < 3 && entitlementId === undefined; attempt++) {
      const bought = await buyFromShop(platform, setup, buyer, productId);
      const early = await buyer.client.post("/api/reviews", { entitlementId: bought.entitlementId, productId, stars: 5, body: "Too early" });
      const after = await queryOne<{ issue_tx: string | null }>(db, sql`SELECT issue_tx FROM entitlements WHERE id = ${bought.entitlementId}`);
      if (after!.issue_tx !== null) continue;
      expect(early.status, early.text).to.equal(409);
      expect(early.body.code).to.equal("review_not_eligible");
      expect(early.body.message).to.contain("not issued on-chain yet");
      entitlementId = bought.entitlementId;
    }
    expect(entitlementId, "an entitlement reviewed before its issuance").to.be.a("string");
    expect(await reviewsRows()).to.equal(0);

    const tokenId = await waitIssued(platform, entitlementId!);
    const created = await buyer.client.post("/api/reviews", { entitlementId, productId, stars: 5, body: "Arrived at once, key worked." });
    expect(created.status, created.text).to.equal(201);
    firstReviewId = created.body.id;
    expect(created.body.stars).to.equal(5);
    expect(created.body.verified.tokenId).to.equal(String(tokenId));
    // The link is the issuance transaction the chain holds: its receipt carries the token's mint.
    const issueTx = created.body.verified.issueTx as `0x${string}`;
    const stored = await queryOne<{ issue_tx: string }>(db, sql`SELECT issue_tx FROM entitlements WHERE id = ${entitlementId}`);
    expect(issueTx).to.equal(stored!.issue_tx);
    const client = createPublicClient({ transport: http(platform.rpcUrl) });
    const receipt = await client.getTransactionReceipt({ hash: issueTx });
    expect(receipt.status).to.equal("success");
    const mints = parseEventLogs({ abi: entitlementTokenAbi, eventName: "Transfer", logs: receipt.logs }).filter(
      (log) => log.address.toLowerCase() === platform.ctx.chain!.addresses.entitlement.toLowerCase(),
    );
    expect(mints.map((log) => (log.args as { tokenId: bigint }).tokenId)).to.include(tokenId);
    await expectRating(1, 5);

    // The same entitlement again, another buyer, another product, a made-up id: refused, nothing written.
    const refusals: [Person, Record<string, unknown>, number, string][] = [
      [buyer, { entitlementId, productId, stars: 4, body: "Twice" }, 409, "already_reviewed"],
      [otherBuyer, { entitlementId, productId, stars: 1, body: "Not mine" }, 404, "not_found"],
      [buyer, { entitlementId, productId: otherProductId, stars: 1, body: "Other product" }, 422, "review_product_mismatch"],
      [buyer, { entitlementId: "999999", productId, stars: 1, body: "Made up" }, 404, "not_found"],
      [buyer, { entitlementId, productId, stars: 6, body: "Six stars" }, 400, "validation_failed"],
      [buyer, { entitlementId, productId, stars: 0, body: "Zero" }, 400, "validation_failed"],
      [buyer, { entitlementId, productId, stars: 3, body: "   " }, 400, "validation_failed"],
    ];
    for (const [person, body, status, code] of refusals) {
      const response = await person.client.post("/api/reviews", body);
      expect(response.status, `${JSON.stringify(body)}: ${response.text}`).to.equal(status);
      expect(response.body.code).to.equal(code);
    }
    expect((await platform.http.post("/api/reviews", { entitlementId, productId, stars: 4, body: "guest" })).status).to.equal(401);
    expect(await reviewsRows()).to.equal(1);
    await expectRating(1, 5);
  });

  it("lets the shop's merchant reply once; another merchant not at all", async () => {
    const stranger = await otherShop.merchant.post(`/api/reviews/${firstReviewId}/reply`, { body: "Not my shop" });
    expect(stranger.status).to.equal(403);
    const reply = await setup.merchant.post(`/api/reviews/${firstReviewId}/reply`, { body: "Thank you!" });
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.body.reply.body).to.equal("Thank you!");
    const again = await setup.merchant.post(`/api/reviews/${firstReviewId}/reply`, { body: "Thanks again" });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal("already_replied");
    const listed = await suite.platform.http.get(`/api/products/${productId}/reviews`);
    expect(listed.body.items[0].reply.body).to.equal("Thank you!");
  });

  it("keeps one review per entitlement when two are sent at once, and the rating exact through hide and restore", async () => {
    const { platform } = suite;
    const [second, third] = [await buyFromShop(platform, setup, buyer, productId), await buyFromShop(platform, setup, buyer, productId)];
    await Promise.all([waitIssued(platform, second.entitlementId), waitIssued(platform, third.entitlementId)]);
    const race = await Promise.all(
      [4, 2].map((stars) => buyer.client.post("/api/reviews", { entitlementId: second.entitlementId, productId, stars, body: `Race ${stars}` })),
    );
    expect(race.map((response) => response.status).sort()).to.deep.equal([201, 409]);
    const secondStars = race.find((response) => response.status === 201)!.body.stars as number;
    await expectRating(2, 5 + secondStars);
    const third1 = await buyer.client.post("/api/reviews", { entitlementId: third.entitlementId, productId, stars: 1, body: "Key was slow to show" });
    expect(third1.status, third1.text).to.equal(201);
    await expectRating(3, 5 + secondStars + 1);

    // A report by another user, twice; the admin's list shows it.
    expect((await otherBuyer.client.post(`/api/reviews/${third1.body.id}/reports`, { reason: "Rude" })).status).to.equal(204);
    const twice = await otherBuyer.client.post(`/api/reviews/${third1.body.id}/reports`, { reason: "Rude again" });
    expect([twice.status, twice.body.code]).to.deep.equal([409, "already_reported"]);
    expect((await buyer.client.get("/api/admin/reviews")).status).to.equal(403);
    const open = await admin.http.get("/api/admin/reviews?status=open");
    expect(open.status, open.text).to.equal(200);
    expect(open.body.items.map((item: { id: string; openReports: number }) => [item.id, item.openReports])).to.deep.equal([[third1.body.id, 1]]);

    // Hide: out of the rating and the public list, reports resolved, audited; twice is refused.
    const hidden = await admin.http.post(`/api/admin/reviews/${third1.body.id}/hide`, { reason: "abusive" });
    expect(hidden.status, hidden.text).to.equal(200);
    expect(hidden.body.status).to.equal("hidden");
    await expectRating(2, 5 + secondStars);
    const hiddenAgain = await admin.http.post(`/api/admin/reviews/${third1.body.id}/hide`, { reason: "again" });
    expect([hiddenAgain.status, hiddenAgain.body.code]).to.deep.equal([409, "invalid_state"]);
    await expectRating(2, 5 + secondStars);
    expect((await admin.http.get("/api/admin/reviews?status=open")).body.items).to.deep.equal([]);
    expect((await admin.http.get("/api/admin/reviews?status=hidden")).body.items.map((item: { id: string }) => item.id)).to.deep.equal([third1.body.id]);
    const publicIds = (await platform.http.get(`/api/products/${productId}/reviews`)).body.items.map((item: { id: string }) => item.id);
    expect(publicIds).not.to.include(third1.body.id);

    const restored = await admin.http.post(`/api/admin/reviews/${third1.body.id}/restore`, { reason: "appeal upheld" });
    expect(restored.status, restored.text).to.equal(200);
    await expectRating(3, 5 + secondStars + 1);
    const audit = await queryRows<{ action: string; subject: string }>(
      platform.ctx.database.db,
      sql`SELECT action, subject FROM audit_log WHERE action LIKE 'review.%' ORDER BY id`,
    );
    expect(audit).to.deep.equal([
      { action: "review.hidden", subject: `review:${third1.body.id}` },
      { action: "review.restored", subject: `review:${third1.body.id}` },
    ]);
    // The buyer's own list names the entitlements reviewed (the order page's form hides for them).
    const mine = await buyer.client.get("/api/account/reviews");
    expect(mine.body.items.map((item: { entitlementId: string }) => item.entitlementId).sort()).to.have.length(3);
  });
});
