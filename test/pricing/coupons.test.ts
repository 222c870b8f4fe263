// Coupons over real HTTP against the test platform: the race (100 concurrent checkouts, a
// coupon limited to 10 uses: exactly 10 orders carry it), the quote equals the charge, bulk
// codes, and bad input that writes nothing.
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, waitFor } from "../support/platform.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";

describe("coupons over HTTP", function () {
  this.timeout(180_000);
  const suite = usePlatform();
  let shop: MerchantSetup;
  let productId: string;

  before(async () => {
    shop = await setupMerchant(suite.platform);
    // Manual delivery with unlimited stock: no order fails for stock, only for the coupon.
    productId = await createProduct(shop, { name: "Coupon card", deliveryMode: "manual", priceMinor: "1000" });
  });

  const order = (i: number, couponCode?: string, quantity = 1) =>
    suite.platform.http.post("/api/orders", { productId, quantity, contact: `race${i}@example.com`, queryPassword: "race-password", couponCode });

  it("100 concurrent checkouts with a coupon limited to 10 uses: exactly 10 succeed, 90 are told it is exhausted", async () => {
    const created = await shop.merchant.post(`/api/shops/${shop.shopId}/coupons`, { code: "RACE10", kind: "percent", value: 10, usesMax: 10 });
    expect(created.status, created.text).to.equal(201);
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => order(i, "race10")));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201).length).to.equal(10);
    expect(answers.filter((answer) => answer.status === 409).map((answer) => answer.body.code)).to.deep.equal(Array(90).fill("coupon_exhausted"));
    // 10% of 10.00 is 1.00: every served order charges 9.00, and the coupon counts 10 uses.
    expect(answers.filter((answer) => answer.status === 201).map((answer) => answer.body.order.amountMinor)).to.deep.equal(Array(10).fill("900"));
    const coupon = await queryOne<{ uses: number; held: string }>(
      suite.platform.database.db,
      sql`SELECT uses, (SELECT count(*) FROM coupon_uses u WHERE u.coupon_id = c.id AND released_at IS NULL) AS held FROM coupons c WHERE code = 'RACE10'`,
    );
    expect([coupon?.uses, Number(coupon?.held)]).to.deep.equal([10, 10]);
  });

  it("one buyer's 8 concurrent checkouts with a coupon of one use per buyer and no total limit: exactly 1 carries it", async () => {
    const created = await shop.merchant.post(`/api/shops/${shop.shopId}/coupons`, { code: "ONEEACH", kind: "percent", value: 10, perBuyerMax: 1 });
    expect(created.status, created.text).to.equal(201);
    // The same contact each time: one guest buyer racing itself.
    const answers = await Promise.all(Array.from({ length: 8 }, () => order(777, "oneeach")));
    expect(answers.filter((answer) => answer.status === 201).length).to.equal(1);
    expect(answers.filter((answer) => answer.status === 409).map((answer) => answer.body.code)).to.deep.equal(Array(7).fill("coupon_exhausted"));
    // Another buyer still gets its one use.
    expect((await order(778, "oneeach")).status).to.equal(201);
    const coupon = await queryOne<{ uses: number; held: string }>(
      suite.platform.database.db,
      sql`SELECT uses, (SELECT count(*) FROM coupon_uses u WHERE u.coupon_id = c.id AND released_at IS NULL) AS held FROM coupons c WHERE code = 'ONEEACH'`,
    );
    expect([coupon?.uses, Number(coupon?.held)]).to.deep.equal([2, 2]);
  });

  it("the quote is the charge: tier, coupon and total from the quote endpoint are what the order stores", async () => {
    const tiers = await shop.merchant.put(`/api/products/${productId}/tiers`, {
      tiers: [
        { quantityMin: 1, quantityMax: 2, unitPriceMinor: "1000" },
        { quantityMin: 3, quantityMax: null, unitPriceMinor: "850" },
      ],
    });
    expect(tiers.status, tiers.text).to.equal(200);
    await shop.merchant.post(`/api/shops/${shop.shopId}/coupons`, { code: "FIXED150", kind: "fixed", value: "150", minimumMinor: "2000" });
    const quote = await suite.platform.http.post(`/api/products/${productId}/quote`, { quantity: 3, couponCode: "fixed150" });
    expect(quote.status, quote.text).to.equal(200);
    // By hand: 3 x 8.50 = 25.50, minus 1.50 = 24.00.
    expect([
      quote.body.breakdown.unitPriceMinor,
      quote.body.breakdown.subtotalMinor,
      quote.body.breakdown.discountMinor,
      quote.body.breakdown.totalMinor,
    ]).to.deep.equal(["850", "2550", "150", "2400"]);
    const placed = await order(500, "FIXED150", 3);
    expect(placed.status, placed.text).to.equal(201);
    expect(placed.body.order.amountMinor).to.equal(quote.body.breakdown.totalMinor);
    const stored = await queryOne<{ pricing: { totalMinor: string }; discount_minor: string }>(
      suite.platform.database.db,
      sql`SELECT pricing, discount_minor FROM orders WHERE id = ${placed.body.order.id}`,
    );
    expect([stored?.pricing.totalMinor, String(stored?.discount_minor)]).to.deep.equal(["2400", "150"]);

    // Paid at the quoted 24.00: the sale's journal transaction moves exactly 24.00 in, and the books balance.
    const paid = await suite.platform.http.get(notifyPath(shop.shopId, signedNotification(shop.sandbox, placed.body.order, "T-COUPON-1")));
    expect(paid.text).to.equal("success");
    const moved = await waitFor("the sale's journal transaction", async () => {
      const rows = await queryRows<{ amount: string }>(
        suite.platform.database.db,
        sql`SELECT p.amount_minor::text AS amount FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.tx_id
            WHERE t.reference_id = ${placed.body.order.id} AND p.amount_minor > 0`,
      );
      return rows.length > 0 ? rows.map((row) => row.amount) : undefined;
    });
    // The money in is the discounted 24.00 (the other debit is the platform fee on it), never the list 25.50.
    expect(moved).to.include("2400");
    expect(moved).not.to.include("2550");
    const findings = await checkLedgerInvariants(suite.platform.database.db);
    expect(
      Object.values(findings).every((list) => Array.isArray(list) && list.length === 0),
      JSON.stringify(findings, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
    ).to.equal(true);
  });

  it("generates 10,000 unique unguessable codes in one call and exports them as CSV", async () => {
    const started = performance.now();
    const generated = await shop.merchant.post(`/api/shops/${shop.shopId}/coupons`, { count: 10_000, kind: "fixed", value: "100", usesMax: 1 });
    console.log(`coupon_bulk_10000_ms=${Math.round(performance.now() - started)}`);
    expect(generated.status, generated.text).to.equal(201);
    const codes: string[] = generated.body.codes;
    expect(new Set(codes).size).to.equal(10_000);
    for (const code of codes) expect(code).to.match(/^[0-9A-HJKMNP-TV-Z]{16}$/);
    const csv = await shop.merchant.get(`/api/shops/${shop.shopId}/coupons?batchId=${generated.body.batchId}&format=csv&limit=10000`);
    expect(csv.status).to.equal(200);
    const lines = csv.text.trim().split("\n");
    expect(lines.length).to.equal(10_001);
    expect(new Set(lines.slice(1).map((line) => line.split(",")[0]))).to.deep.equal(new Set(codes));
  });

  it("refuses unknown, expired, out-of-scope and disabled coupons, bad tiers and bad percents, and writes nothing", async () => {
    const db = suite.platform.database.db;
    const count = async () =>
      queryOne<{ orders: string; coupons: string; tiers: string }>(
        db,
        sql`SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM coupons) AS coupons, (SELECT count(*) FROM price_tiers) AS tiers`,
      );
    await shop.merchant.post(`/api/shops/${shop.shopId}/coupons`, {
      code: "OLDONE",
      kind: "percent",
      value: 5,
      startsAt: "2020-01-01T00:00:00Z",
      endsAt: "2020-02-01T00:00:00Z",
    });
    await shop.merchant.post(`/api/shops/${shop.shopId}/coupons`, {
      code: "SUBSONLY",
      kind: "percent",
      value: 5,
      scope: "category",
      scopeCategory: "subscription",
    });
    const off = await shop.merchant.post(`/api/shops/${shop.shopId}/coupons`, { code: "TURNEDOFF", kind: "percent", value: 5 });
    expect(off.status).to.equal(201);
    const turnedOff = await queryOne<{ id: string }>(db, sql`SELECT id FROM coupons WHERE code = 'TURNEDOFF'`);
    const disabled = await shop.merchant.post(`/api/shops/${shop.shopId}/coupons/${turnedOff?.id}/disable`);
    expect([disabled.status, disabled.body.code, disabled.body.disabled]).to.deep.equal([200, "TURNEDOFF", true]);
    const before = await count();
    for (const [code, expected] of [
      ["NOSUCHCODE", "coupon_unknown"],
      ["OLDONE", "coupon_expired"],
      ["SUBSONLY", "coupon_not_applicable"],
      ["TURNEDOFF", "coupon_not_usable"],
      ["RACE10", "coupon_exhausted"],
    ]) {
      const answer = await order(900, code);
      expect([answer.status >= 400 && answer.status < 500, answer.body.code], code).to.deep.equal([true, expected]);
      expect(answer.body.message, code).to.include("coupon");
    }
    const overlapping = await shop.merchant.put(`/api/products/${productId}/tiers`, {
      tiers: [
        { quantityMin: 1, quantityMax: 5, unitPriceMinor: "1000" },
        { quantityMin: 5, quantityMax: null, unitPriceMinor: "900" },
      ],
    });
    expect([overlapping.status, overlapping.body.code]).to.deep.equal([400, "validation_failed"]);
    expect(overlapping.body.message).to.include("ascending order without overlap");
    for (const value of [-5, 101]) {
      const percent = await shop.merchant.post(`/api/shops/${shop.shopId}/coupons`, { code: `BAD${value < 0 ? "NEG" : "BIG"}`, kind: "percent", value });
      expect([percent.status, percent.body.code], String(value)).to.deep.equal([400, "validation_failed"]);
      const level = await shop.merchant.put(`/api/shops/${shop.shopId}/levels`, { levels: [{ name: "Gold", spendMinMinor: "0", discountPercent: value }] });
      expect([level.status, level.body.code], String(value)).to.deep.equal([400, "validation_failed"]);
    }
    expect(await count()).to.deep.equal(before);
  });

  it("limits a guest contact per product per 24 hours", async () => {
    const limited = await createProduct(shop, { name: "Limited card", deliveryMode: "manual" });
    expect((await shop.merchant.put(`/api/products/${limited}/purchase-limit`, { perBuyerDailyMax: 2 })).status).to.equal(200);
    const buy = (contact: string, quantity: number) =>
      suite.platform.http.post("/api/orders", { productId: limited, quantity, contact, queryPassword: "limit-password" });
    expect((await buy("limit@example.com", 2)).status).to.equal(201);
    const third = await buy("limit@example.com", 1);
    expect([third.status, third.body.code]).to.deep.equal([409, "purchase_limit_reached"]);
    expect((await buy("other@example.com", 1)).status).to.equal(201);
  });

  it("one buyer's concurrent checkouts of a limited product: the allowance is claimed atomically (8 checkouts of 1, a limit of 3: 3 orders)", async () => {
    const limited = await createProduct(shop, { name: "Rationed card", deliveryMode: "manual" });
    expect((await shop.merchant.put(`/api/products/${limited}/purchase-limit`, { perBuyerDailyMax: 3 })).status).to.equal(200);
    const buy = () => suite.platform.http.post("/api/orders", { productId: limited, quantity: 1, contact: "rush@example.com", queryPassword: "rush-password" });
    // Without the advisory lock in claimDailyPurchase, more than 3 pass the count together (seen: 4).
    const answers = await Promise.all(Array.from({ length: 8 }, buy));
    expect(answers.filter((answer) => answer.status === 201).length).to.equal(3);
    expect(answers.filter((answer) => answer.status !== 201).map((answer) => [answer.status, answer.body.code])).to.deep.equal(
      Array(5).fill([409, "purchase_limit_reached"]),
    );
    const stored = await queryOne<{ n: string }>(suite.platform.database.db, sql`SELECT count(*) AS n FROM orders WHERE product_id = ${limited}`);
    expect(Number(stored?.n)).to.equal(3);
    // A refused coupon gives back the allowance claimed before the quote: no claim stays held.
    const other = () =>
      suite.platform.http.post("/api/orders", {
        productId: limited,
        quantity: 1,
        contact: "rush2@example.com",
        queryPassword: "rush-password",
        couponCode: "NOSUCHCODE",
      });
    expect((await other()).body.code).to.equal("coupon_unknown");
    const released = await queryOne<{ held: string }>(
      suite.platform.database.db,
      sql`SELECT count(*) AS held FROM purchase_limit_claims WHERE product_id = ${limited} AND buyer_key = 'contact:rush2@example.com' AND released_at IS NULL`,
    );
    expect(Number(released?.held)).to.equal(0);
  });

  it("an idempotent replay with another coupon (or none) is refused with idempotency_conflict, the same one gets the order", async () => {
    await shop.merchant.post(`/api/shops/${shop.shopId}/coupons`, { code: "REPLAY5", kind: "percent", value: 5 });
    const checkout = (couponCode?: string) =>
      suite.platform.http.post(
        "/api/orders",
        { productId, quantity: 1, contact: "replay@example.com", queryPassword: "replay-password", couponCode },
        { "idempotency-key": "coupon-replay-key-1" },
      );
    const first = await checkout("REPLAY5");
    expect(first.status, first.text).to.equal(201);
    for (const other of ["FIXED150", undefined]) {
      const replay = await checkout(other);
      expect([replay.status, replay.body.code], String(other)).to.deep.equal([409, "idempotency_conflict"]);
      expect(replay.body.message).to.include("coupon");
      expect(replay.text).not.to.contain(first.body.order.id);
    }
    const same = await checkout("replay5");
    expect([same.status, same.body.order.id]).to.deep.equal([201, first.body.order.id]);
  });
});
