// Fulfilment's careful path: a paid order whose reservation was lost claims other keys with
// SKIP LOCKED; one that cannot get enough keys goes to refund_pending with its refund posted,
// never half-delivered. Workers are off so the test drives fulfilment itself.
import { expect } from "chai";
import { postMissingPaymentEntries } from "../../api/services/orders/paymentEntryOutbox.ts";
import { createFulfilmentBatcher, fulfilOrder } from "../../api/services/orders/fulfilOrder.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("fulfilment when reservations are lost", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let importer: ChildProcess | undefined;

  before(async () => {
    platform = await startTestPlatform({ workers: false });
    setup = await setupMerchant(platform);
    startImporter();
  });
  after(async () => {
    stopImporter();
    await platform?.stopAll();
  });

  // Imports and anchoring need a worker; fulfilment is then driven by the test.
  function startImporter(): void {
    stopImporter();
    importer = spawn(process.execPath, [`${root}api/jobs/main.ts`], {
      cwd: root,
      env: { ...process.env, ...platform.env, LOG_LEVEL: "warn" },
      stdio: "ignore",
    });
  }
  function stopImporter(): void {
    importer?.kill("SIGKILL");
    importer = undefined;
  }
  /** Imports the keys with a worker running, then stops it so no job races the test. */
  async function importWithoutFulfilment(productId: string, keys: string[]): Promise<void> {
    startImporter();
    await importKeys(setup, productId, keys);
    stopImporter();
  }

  async function paidOrder(productId: string, tradeNo: string, quantity = 1) {
    const checkout = await platform.http.post("/api/orders", { productId, quantity, contact: "lost@example.com", queryPassword: "pass-1234" });
    expect(checkout.status, checkout.text).to.equal(201);
    // Stop the importer's fulfilment from racing the test: the order is paid in the database
    // through the real notification, then the job is removed before a worker takes it.
    stopImporter();
    const answer = await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, tradeNo)));
    expect(answer.text).to.equal("success");
    return checkout.body.order.id as string;
  }

  it("claims other keys for an order whose reservation was released, then stays idempotent", async () => {
    const productId = await createProduct(setup, { name: "Lost reservation" });
    await importKeys(setup, productId, randomKeys(3, "LOST"));
    const orderId = await paidOrder(productId, "T-LOST-1");
    const db = platform.database.db;
    await db.execute(sql`UPDATE keys SET status = 'available', order_id = NULL, reserved_until = NULL WHERE order_id = ${orderId}`);
    expect(await fulfilOrder(db, orderId, platform.ctx.config.orders)).to.equal("fulfilled");
    expect(await fulfilOrder(db, orderId, platform.ctx.config.orders)).to.equal("already_done");
    const keys = await queryRows<{ status: string }>(db, sql`SELECT status FROM keys WHERE order_id = ${orderId}`);
    expect(keys.map((key) => key.status)).to.deep.equal(["sold"]);
    const entitlements = await queryOne<{ n: bigint }>(db, sql`SELECT count(*) AS n FROM entitlements WHERE order_id = ${orderId}`);
    expect(Number(entitlements!.n)).to.equal(1);
  });

  it("sends an order that cannot get its keys to refund_pending with the refund posted, never half-delivered", async () => {
    const productId = await createProduct(setup, { name: "Vanishing stock" });
    const db = platform.database.db;
    // The importer was stopped by the previous test; start it again for this import.
    startImporter();
    await importKeys(setup, productId, randomKeys(2, "GONE"));
    const orderId = await paidOrder(productId, "T-GONE-1", 2);
    // One reserved key is revoked (say, the publisher cancelled it) and no other is available.
    await db.execute(sql`UPDATE keys SET status = 'revoked', order_id = NULL, reserved_until = NULL
                         WHERE id = (SELECT min(id) FROM keys WHERE order_id = ${orderId})`);
    expect(await fulfilOrder(db, orderId, platform.ctx.config.orders)).to.equal("refund_pending");
    const order = await queryOne<{ state: string; refund_reason: string }>(db, sql`SELECT state, refund_reason FROM orders WHERE id = ${orderId}`);
    expect(order).to.deep.equal({ state: "refund_pending", refund_reason: "out_of_stock" });
    const keys = await queryRows<{ status: string }>(db, sql`SELECT status FROM keys WHERE product_id = ${BigInt(productId)} ORDER BY id`);
    expect(keys.map((key) => key.status)).to.deep.equal(["revoked", "available"]);
    const refunds = await queryOne<{ n: bigint }>(
      db,
      sql`SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'order_refund' AND reference_id = ${orderId}`,
    );
    expect(Number(refunds!.n)).to.equal(1);
    expect(await fulfilOrder(db, orderId, platform.ctx.config.orders)).to.equal("already_done");
  });

  it("fulfils the orders whose jobs arrive together in one statement, and sends each one that is not ready down its own path", async () => {
    const productId = await createProduct(setup, { name: "Burst" });
    const manualId = await createProduct(setup, { name: "Burst by hand", deliveryMode: "manual" });
    await importWithoutFulfilment(productId, randomKeys(6, "BURST"));
    const ready = [await paidOrder(productId, "T-BURST-1"), await paidOrder(productId, "T-BURST-2"), await paidOrder(productId, "T-BURST-3")];
    const lost = await paidOrder(productId, "T-BURST-4");
    const manual = await paidOrder(manualId, "T-BURST-5");
    const db = platform.database.db;
    await db.execute(sql`UPDATE keys SET status = 'available', order_id = NULL, reserved_until = NULL WHERE order_id = ${lost}`);
    const batcher = createFulfilmentBatcher(db);
    // The first order's job twice (a redelivery), the lost reservation and the manual order
    // in the same burst as the three that are ready.
    const orderIds = [...ready, ready[0]!, lost, manual];
    const outcomes = await Promise.all(orderIds.map((orderId) => fulfilOrder(db, orderId, platform.ctx.config.orders, batcher)));
    expect(outcomes).to.deep.equal(["fulfilled", "fulfilled", "fulfilled", "already_done", "fulfilled", "manual_queue"]);
    // One statement carried the burst; the repeated job was not sent twice.
    expect(batcher.stats()).to.deep.equal({ batches: 1, items: 5, failures: 0 });
    const delivered = await queryRows<{ order_id: string; state: string; keys: bigint; entitlements: bigint }>(
      db,
      sql`SELECT o.id AS order_id, o.state,
                 (SELECT count(*) FROM keys k WHERE k.order_id = o.id AND k.status = 'sold') AS keys,
                 (SELECT count(*) FROM entitlements e WHERE e.order_id = o.id) AS entitlements
          FROM orders o WHERE o.id = ANY(${`{${[...ready, lost, manual].join(",")}}`}::text[]) ORDER BY o.id`,
    );
    const byOrder = new Map(delivered.map((row) => [row.order_id, [row.state, Number(row.keys), Number(row.entitlements)]]));
    for (const orderId of [...ready, lost]) expect(byOrder.get(orderId)).to.deep.equal(["fulfilled", 1, 1]);
    expect(byOrder.get(manual)).to.deep.equal(["paid", 0, 0]);
    const shared = await queryOne<{ n: bigint }>(
      db,
      sql`SELECT count(*) AS n FROM (SELECT key_id FROM entitlements WHERE product_id = ${BigInt(productId)} GROUP BY key_id HAVING count(*) > 1) twice`,
    );
    expect(Number(shared!.n)).to.equal(0);
    // A lone job is not held back: it leaves in a batch of its own.
    const late = await paidOrder(productId, "T-BURST-6");
    expect(await fulfilOrder(db, late, platform.ctx.config.orders, batcher)).to.equal("fulfilled");
    expect(batcher.stats()).to.deep.equal({ batches: 2, items: 6, failures: 0 });
  });

  it("posts the ledger entry of a payment whose post was lost (the payments row is the outbox), once", async () => {
    const productId = await createProduct(setup, { name: "Outbox" });
    await importWithoutFulfilment(productId, randomKeys(1, "OBX"));
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "outbox@example.com", queryPassword: "pass-1234" });
    const orderId = checkout.body.order.id as string;
    const db = platform.database.db;
    // The payment committed, then the process died before its ledger entry was posted.
    await db.execute(sql`UPDATE orders SET state = 'paid', paid_at = now() WHERE id = ${orderId}`);
    await db.execute(sql`INSERT INTO payments (order_id, provider, provider_ref, amount_minor, currency, status, created_at)
                         VALUES (${orderId}, 'epay', 'T-OUTBOX-1', 1000, 'CNY', 'accepted', now() - interval '1 minute')`);
    const count = async () =>
      Number((await queryOne<{ n: bigint }>(db, sql`SELECT count(*) AS n FROM ledger_transactions WHERE idempotency_key = ${`order:${orderId}:payment`}`))!.n);
    expect(await count()).to.equal(0);
    expect(await postMissingPaymentEntries(db, { platformFeeBps: 500 }, { limit: 100 })).to.be.at.least(1);
    expect(await count()).to.equal(1);
    await postMissingPaymentEntries(db, { platformFeeBps: 500 }, { limit: 100 });
    expect(await count()).to.equal(1);
  });

  it("sweeps only the payments since its cursor, and never passes one it has not settled", async () => {
    const productId = await createProduct(setup, { name: "Outbox cursor" });
    await importWithoutFulfilment(productId, randomKeys(3, "CUR"));
    const db = platform.database.db;
    // What earlier tests recorded is an hour old: settled history the cursor may pass.
    await db.execute(sql`UPDATE payments SET created_at = created_at - interval '1 hour'`);
    const orderIds: string[] = [];
    for (const [index, age] of ["1 hour", "1 hour", "30 seconds"].entries()) {
      const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "cursor@example.com", queryPassword: "pass-1234" });
      const orderId = checkout.body.order.id as string;
      orderIds.push(orderId);
      // Committed, then lost before its ledger entry was posted.
      await db.execute(sql`UPDATE orders SET state = 'paid', paid_at = now() WHERE id = ${orderId}`);
      await db.execute(sql`INSERT INTO payments (order_id, provider, provider_ref, amount_minor, currency, status, created_at)
                           VALUES (${orderId}, 'epay', ${`T-CURSOR-${index}`}, 1000, 'CNY', 'accepted', now() - ${age}::interval)`);
    }
    const paymentIds = (await queryRows<{ id: bigint }>(db, sql`SELECT id FROM payments WHERE provider_ref LIKE 'T-CURSOR-%' ORDER BY id`)).map((row) =>
      BigInt(row.id),
    );
    const position = async () =>
      BigInt((await queryOne<{ position: bigint }>(db, sql`SELECT position FROM sweep_cursors WHERE name = 'payment-ledger-entries'`))!.position);
    const entries = async () =>
      Promise.all(
        orderIds.map(async (id) =>
          Number((await queryOne<{ n: bigint }>(db, sql`SELECT count(*) AS n FROM ledger_transactions WHERE idempotency_key = ${`order:${id}:payment`}`))!.n),
        ),
      );
    const settings = { platformFeeBps: 500 };

    // The limit leaves the second and third for the next run: the cursor stops at the first.
    expect(await postMissingPaymentEntries(db, settings, { limit: 1 })).to.equal(1);
    expect(await entries()).to.deep.equal([1, 0, 0]);
    expect(await position()).to.equal(paymentIds[0]);
    // The young payment is posted but not passed: a payment with a lower id could still commit.
    expect(await postMissingPaymentEntries(db, settings, { limit: 100 })).to.equal(2);
    expect(await entries()).to.deep.equal([1, 1, 1]);
    expect(await position()).to.equal(paymentIds[1]);
    expect(await postMissingPaymentEntries(db, settings, { limit: 100 })).to.equal(0);
    expect(await position()).to.equal(paymentIds[1]);
    // Once it is settled too, the cursor passes it, and nothing is posted twice.
    await db.execute(sql`UPDATE payments SET created_at = now() - interval '1 hour' WHERE id = ${paymentIds[2]!}`);
    expect(await postMissingPaymentEntries(db, settings, { limit: 100 })).to.equal(0);
    expect(await position()).to.equal(paymentIds[2]);
    expect(await entries()).to.deep.equal([1, 1, 1]);
  });
});
