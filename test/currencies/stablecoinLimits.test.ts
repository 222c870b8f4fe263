// Verification-level limits in the stablecoin (docs/currencies.md, "Limits in the stablecoin"),
// against the real PostgreSQL server: an unverified shop's daily USDK sales stop at $70
// (70,000,000 base units) and a payout at $30 (30,000,000), the USD limits in six decimals;
// refused with the limit's code and nothing written. Figures by hand.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { assertPayoutAllowed, claimDailySales } from "../../api/services/saas/verificationLimits.ts";
import { AppError } from "../../core/errors.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { craftShop } from "../compliance/ledgerHistory.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof AppError) return `${error.code}:${error.status}`;
    throw error;
  }
}

describe("verification-level limits in the stablecoin (PostgreSQL)", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
  });
  after(async () => {
    await database?.drop();
  });

  const claims = async (shopId: bigint) =>
    (await queryOne<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM sales_volume_claims WHERE shop_id = ${shopId}`))!.n;

  it("daily sales: $60 sold today leaves room for exactly $10 (10,000,000 base units) at the unverified level", async () => {
    const shop = await craftShop(database, "usdk-sales");
    await database.db.execute(
      sql`INSERT INTO orders (id, shop_id, product_id, contact, query_password_hash, quantity, unit_price_minor, amount_minor, currency, state, payment_method, expires_at, paid_at)
          VALUES (${`usdk-${randomBytes(6).toString("hex")}`}, ${shop.shopId}, ${shop.productId}, 'g@example.com', ${Buffer.alloc(32)}, 1, 60000000, 60000000, 'USDK', 'paid', 'chain',
                  now() + interval '1 hour', now())`,
    );
    const claim = (orderId: string, amountMinor: bigint) => claimDailySales(database.db, { shopId: shop.shopId, currency: "USDK", amountMinor, orderId });
    expect(await codeOf(claim("over", 10_000_001n))).to.equal("sales_limit_exceeded:422");
    expect(await claims(shop.shopId)).to.equal("0");
    expect(await claim("fits", 10_000_000n)).to.equal(true);
    expect(await claims(shop.shopId)).to.equal("1");
    // Another currency counts on its own: CNY has its own ¥500 limit, untouched by the USDK sales.
    expect(await claimDailySales(database.db, { shopId: shop.shopId, currency: "CNY", amountMinor: 50_000n, orderId: "cny" })).to.equal(true);
  });

  it("payouts: at most $30 (30,000,000) a payout at the unverified level; verified allows $3,000", async () => {
    const shop = await craftShop(database, "usdk-payout");
    const payout = (amountMinor: bigint) => database.db.transaction((tx) => assertPayoutAllowed(tx, shop.shopId, "USDK", amountMinor));
    expect(await codeOf(payout(30_000_001n))).to.equal("payout_limit_exceeded:422");
    expect(await codeOf(payout(30_000_000n))).to.equal("ok");
    await database.db.execute(sql`UPDATE shops SET verification_level = 'verified' WHERE id = ${shop.shopId}`);
    expect(await codeOf(payout(3_000_000_000n))).to.equal("ok");
    expect(await codeOf(payout(3_000_000_001n))).to.equal("payout_limit_exceeded:422");
  });
});
