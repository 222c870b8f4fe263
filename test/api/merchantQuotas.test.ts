// Self-service merchants get quotas (shops, key imports a day, keys a day) until an admin raises
// them (issue 14: the merchant role is self-assignable and was unlimited, and the operator pays the
// gas of every batch anchor). Real HTTP against the running platform.
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { randomKeys } from "../support/merchantSetup.ts";
import { createStaffAccount } from "../support/staff.ts";
import { usePlatform, type HttpClient } from "../support/platform.ts";

describe("merchant quotas", function () {
  this.timeout(300_000);
  const suite = usePlatform({ env: { MERCHANT_SHOPS_MAX: "1", MERCHANT_IMPORTS_PER_DAY_MAX: "3", MERCHANT_KEYS_PER_DAY_MAX: "25" } });
  let admin: HttpClient;
  before(async () => {
    // The first admin can only be made in the database; staff roles need a second factor.
    admin = (await createStaffAccount(suite.platform, "quota-admin", ["admin"])).http;
  });

  let counter = 0;
  async function newMerchant(): Promise<{ http: HttpClient; id: string }> {
    const signup = await suite.platform.http.post("/api/auth/signup", {
      email: `quota-m${++counter}@example.com`,
      password: "merchant-password-1",
      roles: ["merchant"],
    });
    expect(signup.status, signup.text).to.equal(201);
    return { http: suite.platform.http.as(signup.body.token), id: signup.body.account.id };
  }
  const newShop = (merchant: HttpClient, slug: string) => merchant.post("/api/shops", { slug, name: slug });
  async function newProduct(merchant: HttpClient, shopId: string): Promise<string> {
    const product = await merchant.post(`/api/shops/${shopId}/products`, { name: "Quota card", category: "game_card", priceMinor: "100", currency: "CNY" });
    expect(product.status, product.text).to.equal(201);
    return product.body.id;
  }
  const importOf = (merchant: HttpClient, productId: string, count: number) =>
    merchant.request("POST", `/api/products/${productId}/imports`, randomKeys(count, "Q").join("\n"), { "content-type": "text/plain" });

  it("a self-service merchant owns at most 1 shop: 5 concurrent creations give exactly 1 shop, the rest 403 shop_quota_exceeded", async () => {
    const merchant = await newMerchant();
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => newShop(merchant.http, `quota-shop-${counter}-${i}`)));
    expect(answers.filter((answer) => answer.status === 201)).to.have.length(1);
    const refused = answers.filter((answer) => answer.status === 403);
    expect(refused).to.have.length(4);
    expect(refused[0]!.body.code).to.equal("shop_quota_exceeded");
    const owned = await queryRows(suite.platform.database.db, sql`SELECT id FROM shops WHERE owner_account_id = ${merchant.id}`);
    expect(owned).to.have.length(1);
  });

  it("imports a day: 3 imports, then 429 import_quota_exceeded with Retry-After; keys a day: 25", async () => {
    const merchant = await newMerchant();
    const shop = await newShop(merchant.http, `quota-imports-${counter}`);
    const productId = await newProduct(merchant.http, shop.body.id);
    // 10 + 10 keys, then 6 more would make 26 > 25: refused, and nothing is written.
    expect((await importOf(merchant.http, productId, 10)).status).to.equal(202);
    expect((await importOf(merchant.http, productId, 10)).status).to.equal(202);
    const tooMany = await importOf(merchant.http, productId, 6);
    expect(tooMany.status, tooMany.text).to.equal(429);
    expect(tooMany.body.code).to.equal("import_quota_exceeded");
    expect(tooMany.body.details).to.include({ keysToday: 20, keys: 6, keysPerDayMax: 25 });
    expect(Number(tooMany.headers.get("retry-after"))).to.be.within(86_000, 86_400);
    expect((await importOf(merchant.http, productId, 5)).status).to.equal(202);
    // The fourth import in a day, however small.
    const fourth = await importOf(merchant.http, productId, 1);
    expect(fourth.status).to.equal(429);
    expect(fourth.body.details).to.include({ importsToday: 3, importsPerDayMax: 3 });
    const imports = await queryOne<{ n: string; keys: string }>(
      suite.platform.database.db,
      sql`SELECT count(*) AS n, sum(total) AS keys FROM imports WHERE product_id = ${productId}`,
    );
    expect({ n: Number(imports!.n), keys: Number(imports!.keys) }).to.deep.equal({ n: 3, keys: 25 });
    const mine = await merchant.http.get("/api/merchant/quotas");
    expect(mine.body).to.deep.include({ raised: false, shopsMax: 1, importsPerDayMax: 3, keysPerDayMax: 25 });
    expect(mine.body.usage).to.deep.equal({ shops: 1, importsToday: 3, keysToday: 25 });
  });

  it("concurrent imports of one merchant cannot pass the daily quota together", async () => {
    const merchant = await newMerchant();
    const shop = await newShop(merchant.http, `quota-race-${counter}`);
    const productId = await newProduct(merchant.http, shop.body.id);
    const answers = await Promise.all(Array.from({ length: 6 }, () => importOf(merchant.http, productId, 2)));
    expect(answers.filter((answer) => answer.status === 202)).to.have.length(3);
    expect(answers.filter((answer) => answer.status === 429)).to.have.length(3);
  });

  it("only an admin raises quotas, and the raise is audited", async () => {
    const merchant = await newMerchant();
    expect((await newShop(merchant.http, `quota-raise-${counter}-a`)).status).to.equal(201);
    expect((await newShop(merchant.http, `quota-raise-${counter}-b`)).status).to.equal(403);
    const raise = { shopsMax: 3, importsPerDayMax: 50, keysPerDayMax: 100_000 };
    const byMerchant = await merchant.http.put(`/api/admin/merchants/${merchant.id}/quotas`, raise);
    expect(byMerchant.status).to.equal(403);
    const bad = await admin.put(`/api/admin/merchants/${merchant.id}/quotas`, { ...raise, shopsMax: -1 });
    expect(bad.status).to.equal(400);
    const raised = await admin.put(`/api/admin/merchants/${merchant.id}/quotas`, raise);
    expect(raised.status, raised.text).to.equal(200);
    expect(raised.body).to.deep.include({ ...raise, raised: true });
    expect((await newShop(merchant.http, `quota-raise-${counter}-b`)).status).to.equal(201);
    const audit = await queryOne<{ account_id: string; details: { before: { shopsMax: number }; after: { shopsMax: number } } }>(
      suite.platform.database.db,
      sql`SELECT account_id, details FROM audit_log WHERE action = 'merchant.quotas_set' AND subject = ${`account:${merchant.id}`}`,
    );
    expect(audit!.details.before.shopsMax).to.equal(1);
    expect(audit!.details.after.shopsMax).to.equal(3);
    // Not a merchant: nothing to raise.
    const buyer = await suite.platform.http.post("/api/auth/signup", { email: "quota-buyer@example.com", password: "quota-buyer-pass" });
    expect((await admin.put(`/api/admin/merchants/${buyer.body.account.id}/quotas`, raise)).status).to.equal(404);
  });
});
