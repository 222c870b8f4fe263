// The daily sales volume of an unverified shop is a strict bound under concurrent checkouts
// (docs/saas.md, "Limits by verification level"): 12 checkouts of 10,000 fen at once against the
// unverified CNY limit of 50,000 leave room for exactly 5 (50,000 / 10,000, worked by hand), the
// other 7 answer 422 sales_limit_exceeded and write no order, and no claim stays behind.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { expireOrders } from "../../api/services/orders/expireOrders.ts";
import { newSandboxMerchant } from "../../api/payments/epaySandbox.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { importKeys, createProduct, randomKeys, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

describe("daily sales volume of an unverified shop under concurrent checkouts (HTTP, PostgreSQL, Redis, chain)", function () {
  this.timeout(300_000);
  const suite = usePlatform({ env: { SAAS_LIMITS_ENFORCED: "true" } });
  let shop: MerchantSetup;

  before(async () => {
    const { platform } = suite;
    const suffix = randomBytes(4).toString("hex");
    const signup = await platform.http.post("/api/auth/signup", {
      email: `volume-${suffix}@example.com`,
      password: "merchant-password-1",
      roles: ["merchant"],
    });
    expect(signup.status, signup.text).to.equal(201);
    // The confirmation mail is the journey test's subject (test/saas/merchantJourney.test.ts); here the account is confirmed in the store.
    await platform.database.db.execute(sql`UPDATE accounts SET email_confirmed_at = now() WHERE id = ${BigInt(signup.body.account.id)}`);
    const merchant = platform.http.as(signup.body.token);
    const created = await merchant.post("/api/shops", { slug: `volume-${suffix}`, name: `Volume ${suffix}` });
    expect(created.status, created.text).to.equal(201);
    const sandbox = newSandboxMerchant(platform.ctx.config.payments.epaySandboxSecret!);
    const epay = await merchant.put(`/api/shops/${created.body.id}/payment-settings/epay`, { gatewayUrl: `${platform.url}/sandbox/epay/`, ...sandbox });
    expect(epay.status, epay.text).to.equal(204);
    shop = { merchant, shopId: created.body.id, sandbox };
  });

  const count = async (where: ReturnType<typeof sql>) =>
    Number((await queryOne<{ n: string }>(suite.platform.database.db, sql`SELECT count(*) AS n FROM orders WHERE ${where}`))!.n);

  it("12 parallel checkouts of 10,000 fen with room for 50,000: exactly 5 pass, 7 are refused and write nothing", async () => {
    const productId = await createProduct(shop, { name: "Volume card", priceMinor: "10000" });
    await importKeys(shop, productId, randomKeys(12));
    const shopId = BigInt(shop.shopId);
    expect(await count(sql`shop_id = ${shopId}`)).to.equal(0);
    const buy = (i: number) =>
      suite.platform.http.post("/api/orders", { productId, quantity: 1, contact: `volume${i}@example.com`, queryPassword: "volume-password" });
    // Without the advisory lock in claimDailySales all 12 sum nothing in flight and pass together.
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => buy(i)));
    expect(answers.filter((answer) => answer.status === 201).length, answers.map((answer) => answer.status).join()).to.equal(5);
    expect(answers.filter((answer) => answer.status !== 201).map((answer) => [answer.status, answer.body.code])).to.deep.equal(
      Array(7).fill([422, "sales_limit_exceeded"]),
    );
    expect(await count(sql`shop_id = ${shopId}`)).to.equal(5);
    const total = await queryOne<{ total: string }>(suite.platform.database.db, sql`SELECT sum(amount_minor) AS total FROM orders WHERE shop_id = ${shopId}`);
    expect(total?.total).to.equal("50000");
    // Every checkout had its answer: its claim is gone (the orders count by themselves now).
    const claims = await queryOne<{ n: string }>(suite.platform.database.db, sql`SELECT count(*) AS n FROM sales_volume_claims WHERE shop_id = ${shopId}`);
    expect(Number(claims?.n)).to.equal(0);
    // An unpaid order that expires frees its room: one more checkout fits, and only one.
    await suite.platform.database.db.execute(
      sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = (SELECT id FROM orders WHERE shop_id = ${shopId} ORDER BY id LIMIT 1)`,
    );
    expect(await expireOrders(suite.platform.database.db)).to.equal(1);
    const again = await Promise.all([buy(100), buy(101), buy(102)]);
    expect(again.map((answer) => answer.status).sort()).to.deep.equal([201, 422, 422]);
  });
});
