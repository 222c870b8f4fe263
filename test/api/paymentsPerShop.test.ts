// A payment is unique per (shop, provider, provider_ref): two shops' gateways number their
// trades independently, so shop B's trade_no must never make shop A's genuine notification
// look like a replay. Reproduces the audit's finding: with payments unique on
// (provider, provider_ref) across shops, A's notification was answered `success` while A's
// order stayed unpaid (the buyer paid and got nothing; the gateway stopped retrying).
import { expect } from "chai";
import { expireOrders } from "../../api/services/orders/expireOrders.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

describe("payments are unique per shop, provider and provider reference", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let shopA: MerchantSetup;
  let shopB: MerchantSetup;
  before(async () => {
    shopA = await setupMerchant(suite.platform);
    shopB = await setupMerchant(suite.platform);
  });

  async function checkout(setup: MerchantSetup, contact: string) {
    const productId = await createProduct(setup, { name: `Voucher ${contact}`, category: "service_voucher", deliveryMode: "manual", manualStock: 3 });
    const response = await suite.platform.http.post("/api/orders", { productId, quantity: 1, contact, queryPassword: "pass-123456" });
    expect(response.status, response.text).to.equal(201);
    return response.body.order as { id: string; amountMinor: string };
  }

  async function pay(setup: MerchantSetup, order: { id: string; amountMinor: string }, tradeNo: string) {
    const answer = await suite.platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, tradeNo)));
    expect(answer.text).to.equal("success");
  }

  const stateOf = async (orderId: string) =>
    (await queryOne<{ state: string }>(suite.platform.database.db, sql`SELECT state FROM orders WHERE id = ${orderId}`))!.state;

  it("shop B's trade_no does not block shop A's payment with the same trade_no", async () => {
    const orderA = await checkout(shopA, "a-buyer@example.com");
    const orderB = await checkout(shopB, "b-buyer@example.com");
    await pay(shopB, orderB, "GW-20261206-0001");
    await pay(shopA, orderA, "GW-20261206-0001");
    expect(await stateOf(orderB.id)).to.equal("paid");
    expect(await stateOf(orderA.id)).to.equal("paid");
    const payments = await queryRows<{ order_id: string; shop_id: string; status: string }>(
      suite.platform.database.db,
      sql`SELECT order_id, shop_id::text, status FROM payments WHERE provider_ref = 'GW-20261206-0001' ORDER BY shop_id`,
    );
    expect(payments).to.deep.equal(
      [
        { order_id: orderA.id, shop_id: shopA.shopId, status: "accepted" },
        { order_id: orderB.id, shop_id: shopB.shopId, status: "accepted" },
      ].sort((x, y) => Number(x.shop_id) - Number(y.shop_id)),
    );
    // Within one shop, the same trade_no is still a replay that changes nothing.
    await pay(shopA, orderA, "GW-20261206-0001");
    const count = await queryOne<{ n: string }>(suite.platform.database.db, sql`SELECT count(*) AS n FROM payments WHERE order_id = ${orderA.id}`);
    expect(Number(count!.n)).to.equal(1);
  });

  it("the careful path (a late payment) records shop A's payment though shop B used its trade_no", async () => {
    const orderA = await checkout(shopA, "a-late@example.com");
    const orderB = await checkout(shopB, "b-late@example.com");
    await pay(shopB, orderB, "GW-20261206-0002");
    await suite.platform.database.db.execute(sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${orderA.id}`);
    expect(await expireOrders(suite.platform.database.db)).to.be.at.least(1);
    await pay(shopA, orderA, "GW-20261206-0002");
    const late = await queryOne<{ status: string; shop_id: string }>(
      suite.platform.database.db,
      sql`SELECT status, shop_id::text FROM payments WHERE order_id = ${orderA.id}`,
    );
    expect(late).to.deep.equal({ status: "late", shop_id: shopA.shopId });
  });

  it("the database refuses a payment whose shop is not its order's shop", async () => {
    const orderA = await checkout(shopA, "a-mismatch@example.com");
    const insert = suite.platform.database.db.execute(
      sql`INSERT INTO payments (order_id, shop_id, provider, provider_ref, amount_minor, currency)
          VALUES (${orderA.id}, ${BigInt(shopB.shopId)}, 'epay', 'GW-MISMATCH', 1000, 'CNY')`,
    );
    await insert.then(
      () => expect.fail("a payment with another shop's id was inserted"),
      (error: Error) => expect(String(error.cause ?? error)).to.contain("payments_shop_is_order_shop"),
    );
  });
});
