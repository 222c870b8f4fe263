// Tax on receipts (docs/saas.md, "Receipts and tax"): the rounding of the one tax function against
// figures worked out by hand, and the merchant API that stores a shop's rates (bad input: 4xx,
// nothing written; another merchant: 403).
import { expect } from "chai";
import { taxOf, isCountryCode } from "../../api/services/receipts/tax.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

describe("receipts: tax rounding (pure, hand-computed cases)", () => {
  it("exclusive: tax = round half up of amount × bps / 10000", () => {
    // 1999 × 1300 / 10000 = 259.87 → 260; gross 2259.
    expect(taxOf(1999n, { country: "CN", rateBps: 1300, inclusive: false })).to.include({ netMinor: 1999n, taxMinor: 260n, grossMinor: 2259n });
    // 5 × 1000 / 10000 = 0.5 → 1 (half up).
    expect(taxOf(5n, { country: "CN", rateBps: 1000, inclusive: false }).taxMinor).to.equal(1n);
    // 4 × 1000 / 10000 = 0.4 → 0.
    expect(taxOf(4n, { country: "CN", rateBps: 1000, inclusive: false }).taxMinor).to.equal(0n);
    // 333 × 1900 / 10000 = 63.27 → 63.
    expect(taxOf(333n, { country: "DE", rateBps: 1900, inclusive: false }).taxMinor).to.equal(63n);
  });

  it("inclusive: tax = amount − round(amount × 10000 / (10000 + bps)); net + tax = amount", () => {
    // 1999 × 10000 / 11300 = 1769.03 → 1769; tax 230.
    expect(taxOf(1999n, { country: "CN", rateBps: 1300, inclusive: true })).to.include({ netMinor: 1769n, taxMinor: 230n, grossMinor: 1999n });
    // 10000 × 10000 / 11900 = 8403.36 → 8403; tax 1597.
    expect(taxOf(10000n, { country: "DE", rateBps: 1900, inclusive: true })).to.include({ netMinor: 8403n, taxMinor: 1597n });
    // 21 × 10000 / 10500 = 20 exactly; tax 1.
    expect(taxOf(21n, { country: "GB", rateBps: 500, inclusive: true }).taxMinor).to.equal(1n);
    // 3 × 10000 / 14000 = 2.14 → 2; tax 1.
    expect(taxOf(3n, { country: "GB", rateBps: 4000, inclusive: true }).taxMinor).to.equal(1n);
    // 1 × 10000 / 20000 = 0.5 → 1 (half up): tax 0.
    expect(taxOf(1n, { country: "GB", rateBps: 10000, inclusive: true }).taxMinor).to.equal(0n);
    expect(taxOf(0n, { country: "GB", rateBps: 600, inclusive: true }).taxMinor).to.equal(0n);
  });

  it("refuses rates outside 0..10000 and negative amounts", () => {
    expect(() => taxOf(100n, { country: "CN", rateBps: 10001, inclusive: true })).to.throw(RangeError);
    expect(() => taxOf(100n, { country: "CN", rateBps: -1, inclusive: true })).to.throw(RangeError);
    expect(() => taxOf(-1n, { country: "CN", rateBps: 100, inclusive: true })).to.throw(RangeError);
  });

  it("knows assigned ISO 3166-1 alpha-2 codes from others", () => {
    for (const code of ["CN", "US", "DE", "GB", "HK", "JP"]) expect(isCountryCode(code), code).to.equal(true);
    for (const code of ["XX", "ZZ", "EU", "UK", "QO", "AA", "cn", "CHN", "C"]) expect(isCountryCode(code), code).to.equal(false);
  });
});

describe("receipts: a shop's tax rates through the HTTP API (PostgreSQL)", function () {
  this.timeout(120_000);
  const handle = usePlatform();
  let shop: MerchantSetup;
  let other: MerchantSetup;
  before(async () => {
    shop = await setupMerchant(handle.platform);
    other = await setupMerchant(handle.platform);
  });
  const rows = async () =>
    Number(
      (await queryOne<{ n: string }>(handle.platform.database.db, sql`SELECT count(*) AS n FROM shop_tax_rates WHERE shop_id = ${BigInt(shop.shopId)}`))!.n,
    );

  it("sets, lists, replaces and removes a rate", async () => {
    const set = await shop.merchant.put(`/api/shops/${shop.shopId}/tax-rates/DE`, { rateBps: 1900, inclusive: true });
    expect(set.status, set.text).to.equal(200);
    expect(set.body).to.deep.equal({ country: "DE", rateBps: 1900, inclusive: true });
    const again = await shop.merchant.put(`/api/shops/${shop.shopId}/tax-rates/DE`, { rateBps: 700, inclusive: false });
    expect(again.body).to.deep.equal({ country: "DE", rateBps: 700, inclusive: false });
    const list = await shop.merchant.get(`/api/shops/${shop.shopId}/tax-rates`);
    expect(list.body.items).to.deep.equal([{ country: "DE", rateBps: 700, inclusive: false }]);
    expect((await shop.merchant.request("DELETE", `/api/shops/${shop.shopId}/tax-rates/DE`)).status).to.equal(204);
    expect((await shop.merchant.request("DELETE", `/api/shops/${shop.shopId}/tax-rates/DE`)).status).to.equal(404);
    expect(await rows()).to.equal(0);
  });

  it("refuses bad input with 400 and another shop's merchant with 403, writing nothing", async () => {
    const cases: Array<[string, unknown]> = [
      ["XX", { rateBps: 100, inclusive: true }],
      ["cn", { rateBps: 100, inclusive: true }],
      ["CHN", { rateBps: 100, inclusive: true }],
      ["CN", { rateBps: 10001, inclusive: true }],
      ["CN", { rateBps: -1, inclusive: true }],
      ["CN", { rateBps: 12.5, inclusive: true }],
      ["CN", { rateBps: 100 }],
    ];
    for (const [country, body] of cases) {
      const response = await shop.merchant.put(`/api/shops/${shop.shopId}/tax-rates/${country}`, body);
      expect(response.status, `${country} ${JSON.stringify(body)}: ${response.text}`).to.equal(400);
      expect(response.body.code).to.equal("validation_failed");
    }
    const foreign = await other.merchant.put(`/api/shops/${shop.shopId}/tax-rates/CN`, { rateBps: 100, inclusive: true });
    expect(foreign.status).to.equal(403);
    expect(await rows()).to.equal(0);
  });
});
