// Invariants 1 and 2 under concurrency: a key is delivered to at most one order, and an order
// is charged at most once whatever the duplication of payment notifications.
import { expect } from "chai";
import { acceptExactPayment, createExactPaymentBatcher } from "../../api/services/orders/acceptPayment.ts";
import { createCheckoutBatcher, insertWithKeys } from "../../api/services/orders/createOrder.ts";
import { newOrderId } from "../../api/services/orders/orderId.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
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
      created.map((response, i) => suite.platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, response.body.order, `T-LAST-${i}`)))),
    );
    const orderIds = created.map((response) => response.body.order.id as string);
    await waitFor("10 fulfilments", async () => {
      const row = await queryOne<{ n: string }>(
        suite.platform.database.db,
        sql`SELECT count(*) AS n FROM orders WHERE product_id = ${BigInt(productId)} AND state = 'fulfilled'`,
      );
      return Number(row!.n) === 10 || undefined;
    });
    const keys = await queryRows<{ order_id: string; status: string }>(
      suite.platform.database.db,
      sql`SELECT order_id, status FROM keys WHERE product_id = ${BigInt(productId)}`,
    );
    expect(keys.every((key) => key.status === "sold")).to.equal(true);
    expect(new Set(keys.map((key) => key.order_id)).size).to.equal(10);
    expect([...new Set(keys.map((key) => key.order_id))].sort()).to.deep.equal([...orderIds].sort());
    const payments = await queryOne<{ n: string }>(
      suite.platform.database.db,
      sql`SELECT count(*) AS n FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.product_id = ${BigInt(productId)}`,
    );
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

  it("notifications in flight share one statement; a second payment for an order in the same burst is a duplicate, a wrong amount is refused", async () => {
    const productId = await createProduct(setup, { name: "Burst of payments" });
    await importKeys(setup, productId, randomKeys(6, "PAYB"));
    const orders = [];
    for (let i = 0; i < 6; i++) {
      const checkout = await suite.platform.http.post("/api/orders", { productId, quantity: 1, contact: `burst${i}@example.com`, queryPassword: "pass-1234" });
      expect(checkout.status, checkout.text).to.equal(201);
      orders.push(checkout.body.order as { id: string; amountMinor: string });
    }
    const db = suite.platform.database.db;
    // Three exact payments submitted in one burst go as one statement, each answered.
    const batcher = createExactPaymentBatcher(db);
    const direct = orders.slice(0, 3);
    const paid = await Promise.all(
      direct.map((order, i) =>
        acceptExactPayment(
          db,
          { orderId: order.id, shopId: BigInt(setup.shopId), provider: "epay", providerRef: `T-PAYB-D${i}`, amountMinor: BigInt(order.amountMinor) },
          batcher,
        ),
      ),
    );
    expect(paid.map((order) => order?.state)).to.deep.equal(["paid", "paid", "paid"]);
    expect(batcher.stats()).to.deep.equal({ batches: 1, items: 3, failures: 0 });

    // Over HTTP: the other three paid, the first of them twice under two trade numbers, and
    // the second once more with the wrong amount, all at once.
    const [first, second, third] = orders.slice(3) as [(typeof orders)[number], (typeof orders)[number], (typeof orders)[number]];
    const notifications = [
      signedNotification(setup.sandbox, first, "T-PAYB-1"),
      signedNotification(setup.sandbox, first, "T-PAYB-1-AGAIN"),
      signedNotification(setup.sandbox, second, "T-PAYB-2"),
      signedNotification(setup.sandbox, second, "T-PAYB-2-WRONG", { money: "0.01" }),
      signedNotification(setup.sandbox, third, "T-PAYB-3"),
    ];
    const answers = await Promise.all(notifications.map((params) => suite.platform.http.get(notifyPath(setup.shopId, params))));
    expect(answers.map((answer) => answer.status)).to.deep.equal([200, 200, 200, 400, 200]);
    expect(answers[3]!.body.code).to.equal("amount_mismatch");
    const payments = await queryRows<{ order_id: string; provider_ref: string; status: string }>(
      db,
      sql`SELECT order_id, provider_ref, status FROM payments WHERE provider_ref LIKE 'T-PAYB-%' ORDER BY provider_ref`,
    );
    const statusOf = Object.fromEntries(payments.map((payment) => [payment.provider_ref, payment.status]));
    // Which of the first order's two notifications won is a race; exactly one is accepted.
    expect([statusOf["T-PAYB-1"], statusOf["T-PAYB-1-AGAIN"]].sort()).to.deep.equal(["accepted", "duplicate"]);
    expect(statusOf).to.include({ "T-PAYB-D0": "accepted", "T-PAYB-D1": "accepted", "T-PAYB-D2": "accepted", "T-PAYB-2": "accepted", "T-PAYB-3": "accepted" });
    expect(statusOf).not.to.have.property("T-PAYB-2-WRONG");
    const states = await queryRows<{ state: string }>(
      db,
      sql`SELECT state FROM orders WHERE id = ANY(${`{${orders.map((order) => order.id).join(",")}}`}::text[])`,
    );
    expect(states.map((row) => row.state).every((state) => state === "paid" || state === "fulfilled")).to.equal(true);
  });

  it("checkouts in flight share one statement: keys go in arrival order, and a checkout that cannot get its whole quantity, or whose product is paused, reserves nothing", async () => {
    const first = await createProduct(setup, { name: "Batch A" });
    const second = await createProduct(setup, { name: "Batch B" });
    const paused = await createProduct(setup, { name: "Batch paused" });
    await importKeys(setup, first, randomKeys(5, "CBA"));
    await importKeys(setup, second, randomKeys(3, "CBB"));
    await importKeys(setup, paused, randomKeys(2, "CBP"));
    const db = suite.platform.database.db;
    // Paused after the checkout read it (the product read is cached for a second).
    await db.execute(sql`UPDATE products SET status = 'paused' WHERE id = ${BigInt(paused)}`);
    const expiresAt = new Date(Date.now() + 60_000);
    const ask = (productId: string, quantity: number, i: number) => ({
      orderId: newOrderId(),
      input: { productId: BigInt(productId), quantity, contact: `cb${i}@example.com`, paymentMethod: "epay" as const },
      passwordHash: Buffer.alloc(32, i),
      expiresAt,
      currency: "CNY",
      limits: { perContactMax: 100, perClientMax: 100, shareBps: 10_000, pressureBps: 10_000, pressureExpirySeconds: 60 },
      // The price is the checkout's quote (api/services/pricing/quoteOrder.ts), fixed before the batch runs.
      priced: { unitPriceMinor: 1000n, discountMinor: 0n, pricing: "{}" },
    });
    const asks = [ask(first, 2, 0), ask(second, 2, 1), ask(first, 2, 2), ask(paused, 1, 3), ask(second, 2, 4), ask(first, 2, 5)];
    const batcher = createCheckoutBatcher(db);
    const answers = await Promise.all(asks.map((args) => batcher.submit(args)));
    // Every contact is another, so no answer is a refusal of the unpaid-order limits.
    const rows = answers.map((answer) => (answer instanceof Error ? expect.fail(answer.message) : answer));
    expect(rows.map((row) => row?.id)).to.deep.equal([asks[0]!.orderId, asks[1]!.orderId, asks[2]!.orderId, undefined, undefined, undefined]);
    expect(rows.map((row) => row && Number(row.amount_minor))).to.deep.equal([2000, 2000, 2000, undefined, undefined, undefined]);
    expect(batcher.stats()).to.deep.equal({ batches: 1, items: 6, failures: 0 });
    // Alone, the paused product's checkout reserves nothing either.
    expect(await insertWithKeys(db, asks[3]!)).to.equal(undefined);
    const keys = await queryRows<{ product_id: string; status: string; order_id: string | null }>(
      db,
      sql`SELECT product_id::text, status, order_id FROM keys WHERE product_id IN (${BigInt(first)}, ${BigInt(second)}, ${BigInt(paused)}) ORDER BY id`,
    );
    const reservedFor = (productId: string) => keys.filter((key) => key.product_id === productId).map((key) => key.order_id);
    expect(reservedFor(first)).to.deep.equal([asks[0]!.orderId, asks[0]!.orderId, asks[2]!.orderId, asks[2]!.orderId, null]);
    expect(reservedFor(second)).to.deep.equal([asks[1]!.orderId, asks[1]!.orderId, null]);
    expect(reservedFor(paused)).to.deep.equal([null, null]);
    const inserted = await queryRows<{ id: string }>(
      db,
      sql`SELECT id FROM orders WHERE id = ANY(${`{${asks.map((args) => args.orderId).join(",")}}`}::text[]) ORDER BY id`,
    );
    expect(inserted.map((row) => row.id)).to.deep.equal([asks[0]!.orderId, asks[1]!.orderId, asks[2]!.orderId].sort());
  });
});
