// Redis lost under a running platform, as in the soak that found it (issue 14, item 7): its data
// flushed while the workers stay connected, then the server killed (kill -9) and an empty one
// started on the same port. The job schedulers come back (the self-test and the reconnect each
// declare them), expiry and the chain sweep run again, and a payment notified while Redis is
// down is answered `success` at once and fulfilled exactly once when Redis is back; a key upload
// and a manual delivery made while it is down answer within the bound, and the upload's import
// runs once Redis is back.
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { deleteRedisKeys } from "../../scripts/lib/deleteRedisKeys.ts";
import { startLocalRedis, type LocalRedis } from "../../scripts/lib/localRedis.ts";
import { jobSchedulerMissingCode } from "../../api/jobs/schedulers.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";

// Every scheduler the workers declare (api/jobs/workers.ts), by queue: written out here so a
// scheduler dropped from the declarations fails this suite too.
const expectedSchedulers = {
  chain: ["anchor-ledger", "chain-sweep"],
  maintenance: ["chain-payments", "disputes", "expire-orders", "recommendations", "recover-lost-jobs"],
  webhooks: ["webhooks-dispatch"],
};
const enqueueTimeoutMs = 1_000;

describe("Redis lost under a running platform", function () {
  this.timeout(300_000);
  let redis: LocalRedis;
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let productId: string;
  const logLines: string[] = [];

  before(async () => {
    redis = await startLocalRedis();
    platform = await startTestPlatform({
      env: {
        REDIS_URL: redis.url,
        JOB_SCHEDULER_CHECK_INTERVAL_MS: "500",
        JOB_ENQUEUE_TIMEOUT_MS: String(enqueueTimeoutMs),
      },
      // Short sweeps keep the suite short; the logic does not depend on the intervals.
      workerSettings: { expiryIntervalMs: 300, recoveryIntervalMs: 500, lostJobGraceSeconds: 1 },
      logDestination: { write: (line) => void logLines.push(line) },
    });
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "Outage card" });
    await importKeys(setup, productId, randomKeys(6, "OUTAGE"));
  });
  after(async () => {
    // A test that failed with Redis down leaves it down: the platform needs it to stop.
    if (redis && redis.process.exitCode === null && redis.process.signalCode === null) await platform?.stopAll();
    else if (redis) {
      redis = await startLocalRedis(undefined, { port: Number(new URL(redis.url).port) });
      await platform?.stopAll();
    }
    await redis?.stop();
  });

  const schedulerIds = async () => ({
    chain: (await platform.ctx.queues.chain.getJobSchedulers()).map((scheduler) => scheduler.key).sort(),
    maintenance: (await platform.ctx.queues.maintenance.getJobSchedulers()).map((scheduler) => scheduler.key).sort(),
    webhooks: (await platform.ctx.queues.webhooks.getJobSchedulers()).map((scheduler) => scheduler.key).sort(),
  });
  const checkout = async (contact: string, product = productId) => {
    const response = await platform.http.post("/api/orders", { productId: product, quantity: 1, contact, queryPassword: "outage-pass" });
    expect(response.status, response.text).to.equal(201);
    return response.body.order as { id: string; amountMinor: string };
  };
  const orderState = async (orderId: string) =>
    (await queryOne<{ state: string }>(platform.database.db, sql`SELECT state FROM orders WHERE id = ${orderId}`))!.state;
  // The expiry sweep is what is tested: the order is made overdue directly.
  const expiresOnNextSweep = async (orderId: string) => {
    await platform.database.db.execute(sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${orderId}`);
    await waitFor(`order ${orderId} expired`, async () => (await orderState(orderId)) === "expired", 20_000, 100);
  };

  it("declares every scheduler again after Redis lost its data, with an alert, and orders expire again", async () => {
    expect(await schedulerIds()).to.deep.equal(expectedSchedulers);
    const unpaid = await checkout("flush@example.com");
    const alertsBefore = logLines.filter((line) => line.includes(jobSchedulerMissingCode)).length;
    // Every key of the platform's prefix: schedulers, their next jobs, everything.
    await deleteRedisKeys(redis.url, platform.queuePrefix);
    await waitFor("schedulers declared again", async () => JSON.stringify(await schedulerIds()) === JSON.stringify(expectedSchedulers), 10_000, 100);
    const alerts = logLines.filter((line) => line.includes(jobSchedulerMissingCode)).slice(alertsBefore);
    const alerted = alerts.map((line) => JSON.parse(line) as { level: number; scheduler: string });
    expect(
      alerted.every((line) => line.level === 50),
      "alerts are error-level",
    ).to.equal(true);
    expect([...new Set(alerted.map((line) => line.scheduler))].sort()).to.deep.equal(
      [...expectedSchedulers.chain, ...expectedSchedulers.maintenance, ...expectedSchedulers.webhooks].sort(),
    );
    await expiresOnNextSweep(unpaid.id);
  });

  // kill -9 of the Redis server; the platform's clients go on reconnecting.
  const killRedis = async () => {
    redis.process.kill("SIGKILL");
    await new Promise((resolve) => redis.process.once("exit", resolve));
    await waitFor("the platform to see Redis gone", async () => platform.ctx.queues.connection.status !== "ready", 10_000, 20);
  };
  /** Runs `request`, returning its answer and how long it took. */
  const timed = async <T>(request: () => Promise<T>): Promise<{ answer: T; elapsedMs: number }> => {
    const startedAt = performance.now();
    const answer = await request();
    return { answer, elapsedMs: performance.now() - startedAt };
  };
  const loggedWith = (code: string) => logLines.filter((line) => line.includes(`"${code}"`)).map((line) => JSON.parse(line) as Record<string, unknown>);

  it("answers a payment notified while Redis is down at once, and fulfils it exactly once when an empty Redis is back", async () => {
    const order = await checkout("outage@example.com");
    const notification = notifyPath(setup.shopId, signedNotification(setup.sandbox, order, `T-OUTAGE-${order.id}`));
    const port = Number(new URL(redis.url).port);
    await killRedis();

    const startedAt = performance.now();
    const answer = await fetch(platform.url + notification, { signal: AbortSignal.timeout(15_000) });
    const elapsedMs = performance.now() - startedAt;
    expect(answer.status).to.equal(200);
    expect(await answer.text()).to.equal("success");
    expect(elapsedMs, "the notification does not wait for Redis").to.be.lessThan(enqueueTimeoutMs + 1_500);
    expect(await orderState(order.id)).to.equal("paid");

    redis = await startLocalRedis(undefined, { port });
    await waitFor("order fulfilled", async () => (await orderState(order.id)) === "fulfilled", 60_000, 200);
    // A retried notification (the gateway's) changes nothing.
    expect(await (await fetch(platform.url + notification)).text()).to.equal("success");
    const counts = await queryOne<{ keys: bigint; entitlements: bigint; payments: bigint }>(
      platform.database.db,
      sql`SELECT (SELECT count(*) FROM keys WHERE order_id = ${order.id} AND status = 'sold') AS keys,
                 (SELECT count(*) FROM entitlements e JOIN keys k ON k.id = e.key_id WHERE k.order_id = ${order.id}) AS entitlements,
                 (SELECT count(*) FROM payments WHERE order_id = ${order.id}) AS payments`,
    );
    expect({ keys: Number(counts!.keys), entitlements: Number(counts!.entitlements), payments: Number(counts!.payments) }).to.deep.equal({
      keys: 1,
      entitlements: 1,
      payments: 1,
    });

    // The empty Redis has every scheduler again, and the sweeps they drive run: the sale is
    // issued on-chain and an unpaid order expires.
    expect(await schedulerIds()).to.deep.equal(expectedSchedulers);
    await waitFor(
      "the entitlement issued on-chain",
      async () => {
        const row = await queryOne<{ issue_state: string }>(
          platform.database.db,
          sql`SELECT e.issue_state FROM entitlements e JOIN keys k ON k.id = e.key_id WHERE k.order_id = ${order.id}`,
        );
        return row && row.issue_state !== "pending" && row.issue_state !== "submitted";
      },
      30_000,
      200,
    );
    await expiresOnNextSweep((await checkout("after@example.com")).id);
  });

  it("answers a key upload and a manual delivery within the bound while Redis is down, and runs the import once Redis is back", async () => {
    // A manual-delivery order paid while Redis is up: the merchant delivers it during the outage.
    const manualProductId = await createProduct(setup, { name: "Outage voucher", category: "service_voucher", deliveryMode: "manual", manualStock: 3 });
    const manualOrder = await checkout("manual@example.com", manualProductId);
    const paid = await fetch(platform.url + notifyPath(setup.shopId, signedNotification(setup.sandbox, manualOrder, `T-MANUAL-${manualOrder.id}`)));
    expect(await paid.text()).to.equal("success");
    expect(await orderState(manualOrder.id)).to.equal("paid");
    const port = Number(new URL(redis.url).port);
    await killRedis();

    const keys = randomKeys(4, "DURING-OUTAGE");
    const upload = await timed(() => setup.merchant.request("POST", `/api/products/${productId}/imports`, keys.join("\n"), { "content-type": "text/plain" }));
    expect(upload.answer.status, upload.answer.text).to.equal(202);
    expect(upload.answer.body.status).to.equal("queued");
    expect(upload.elapsedMs, "the upload does not wait for Redis").to.be.lessThan(enqueueTimeoutMs + 1_500);
    const importId = upload.answer.body.importId as string;
    const importRow = await queryOne<{ status: string; total: number }>(platform.database.db, sql`SELECT status, total FROM imports WHERE id = ${importId}`);
    expect(importRow, "the import is recorded").to.deep.equal({ status: "queued", total: keys.length });
    expect(loggedWith("import_enqueue_deferred").map((line) => line.importId)).to.include(importId);

    const delivery = await timed(() => setup.merchant.post(`/api/orders/${manualOrder.id}/deliver`, { content: "Voucher: OUTAGE-1" }));
    expect(delivery.answer.status, delivery.answer.text).to.equal(200);
    expect(delivery.elapsedMs, "the delivery does not wait for Redis").to.be.lessThan(enqueueTimeoutMs + 1_500);
    expect(await orderState(manualOrder.id)).to.equal("fulfilled");
    expect(loggedWith("order_event_skipped").map((line) => line.orderId)).to.include(manualOrder.id);

    // Nothing can run the import without Redis; an empty Redis back, the sweep enqueues it.
    expect((await setup.merchant.get(`/api/imports/${importId}`)).body.status).to.equal("queued");
    redis = await startLocalRedis(undefined, { port });
    const done = await waitFor(
      `import ${importId} done`,
      async () => {
        const progress = await setup.merchant.get(`/api/imports/${importId}`);
        return progress.body.status === "done" ? progress.body : undefined;
      },
      60_000,
      200,
    );
    expect(done.processed).to.equal(keys.length);
    const batchKeys = await queryOne<{ n: bigint }>(platform.database.db, sql`SELECT count(*) AS n FROM keys WHERE batch_id = ${done.batchId}`);
    expect(Number(batchKeys!.n)).to.equal(keys.length);
  });
});
