// Invariants 1 and 2 under concurrency: a key is delivered to at most one order, and an order
// is charged at most once whatever the duplication of payment notifications.
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../api/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, waitFor } from "../support/platform.ts";

describe("exactly-once sale under concurrency", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let setup: MerchantSetup;
  before(async () => {
    setup = await setupMerchant(suite.platform);
  });

  it("200 concurrent orders for the last 10 keys: exactly 10 orders, all fulfilled, no key twice, stock consistent", async () => {
    const productId = await createProduct(setup, { name: "Last keys" });
    await importKeys(setup, productId, randomKeys(10, "LAST"));
    const attempts = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        suite.platform.http.post("/api/orders", { productId, quantity: 1, contact: `buyer${i}@example.com`, queryPassword: "pass-1234" }),
      ),
    );
    const created = attempts.filter((response) => response.status === 201);
    const refused = attempts.filter((response) => response.status !== 201);
    expect(created).to.have.length(10);
    expect(refused).to.have.length(190);
    for (const response of refused) {
      expect(response.status).to.equal(409);
      expect(response.body.code).to.equal("out_of_stock");
    }
    // Pay every created order; each is fulfilled with one distinct key.
    await Promise.all(
      created.map((response, i) =>
        suite.platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, response.body.order, `T-LAST-${i}`))),
      ),
    );
    const orderIds = created.map((response) => response.body.order.id as string);
    await waitFor("10 fulfilments", async () => {
      const row = await queryOne<{ n: string }>(suite.platform.database.db, sql`SELECT count(*) AS n FROM orders WHERE product_id = ${BigInt(productId)} AND state = 'fulfilled'`);
      return Number(row!.n) === 10 || undefined;
    });
    const keys = await queryRows<{ order_id: string; status: string }>(suite.platform.database.db, sql`SELECT order_id, status FROM keys WHERE product_id = ${BigInt(productId)}`);
    expect(keys.every((key) => key.status === "sold")).to.equal(true);
    expect(new Set(keys.map((key) => key.order_id)).size).to.equal(10);
    expect([...new Set(keys.map((key) => key.order_id))].sort()).to.deep.equal([...orderIds].sort());
    const payments = await queryOne<{ n: string }>(suite.platform.database.db, sql`SELECT count(*) AS n FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.product_id = ${BigInt(productId)}`);
    expect(Number(payments!.n)).to.equal(10);
    const product = await suite.platform.http.get(`/api/products/${productId}`);
    expect(product.body.stock).to.equal(0);
  });

  it("one notification delivered 100 times concurrently and replayed later: one payment, one fulfilment, one journal entry", async () => {
    const productId = await createProduct(setup, { name: "Replayed" });
    await importKeys(setup, productId, randomKeys(5, "RPL"));
    const checkout = await suite.platform.http.post("/api/orders", { productId, quantity: 2, contact: "replay@example.com", queryPassword: "pass-1234" });
    expect(checkout.status).to.equal(201);
    const order = checkout.body.order;
    const path = notifyPath(setup.shopId, signedNotification(setup.sandbox, order, "T-REPLAY-1"));
    const answers = await Promise.all(Array.from({ length: 100 }, () => suite.platform.http.get(path)));
    for (const answer of answers) {
      expect(answer.status).to.equal(200);
      expect(answer.text).to.equal("success");
    }
    await waitFor("fulfilment", async () => {
      const view = await suite.platform.http.get(`/api/orders/${order.id}?token=${checkout.body.accessToken}`);
      return view.body.state === "fulfilled" || undefined;
    });
    for (let replay = 0; replay < 5; replay++) expect((await suite.platform.http.get(path)).text).to.equal("success");
    // The payment's ledger entry goes through the group commit without the notification
    // waiting for it (acceptPayment.ts): let what is queued be written before counting.
    await suite.platform.ctx.journal.drain();
    const db = suite.platform.database.db;
    const counts = await queryOne<Record<string, bigint>>(
      db,
      sql`SELECT (SELECT count(*) FROM payments WHERE order_id = ${order.id}) AS payments,
                 (SELECT count(*) FROM entitlements WHERE order_id = ${order.id}) AS entitlements,
                 (SELECT count(*) FROM keys WHERE order_id = ${order.id} AND status = 'sold') AS sold,
                 (SELECT count(*) FROM ledger_transactions WHERE reference_type = 'order' AND reference_id = ${order.id}) AS journal`,
    );
    const numbers = Object.fromEntries(Object.entries(counts!).map(([name, value]) => [name, Number(value)]));
    expect(numbers).to.deep.equal({ payments: 1, entitlements: 2, sold: 2, journal: 1 });
  });
});
