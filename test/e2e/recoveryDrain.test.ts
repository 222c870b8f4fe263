// A backlog of paid orders whose fulfilment never reached the queue, as a Redis outage under
// load leaves it (60 s at 40 orders/s is 2,400 orders): one run of the recovery sweep hands
// every one of them to the queue, a second run adds nothing (the job id is the order id), and
// each order is fulfilled exactly once. The payments are committed through the notification's
// service, which records them in PostgreSQL only, exactly what a notification answered while
// Redis was down leaves behind.
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { requeuePaidOrders } from "../../api/jobs/recovery/requeuePaidOrders.ts";
import { createOrder } from "../../api/services/orders/createOrder.ts";
import { handleEpayNotify } from "../../api/services/orders/handleEpayNotify.ts";
import { signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";

const backlogSize = 1_500;
// Small pages, so the backlog spans several of them (and paid_at ties cross page borders).
const pageSizeMax = 200;

/** Runs `task` over `items` with at most `parallel` in flight. */
async function inParallel<T>(items: T[], parallel: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

describe("recovery sweep: a paid-order backlog drained in one run", function () {
  this.timeout(300_000);
  let platform: TestPlatform;

  before(async () => {
    platform = await startTestPlatform({
      // The sweep's own schedule stays out of the way: the test runs it.
      workerSettings: { recoveryIntervalMs: 3_600_000 },
      env: { LEDGER_MERCHANT_FEE_CREDIT_MINOR: "1000000000" },
    });
  });
  after(async () => {
    await platform?.stopAll();
  });

  it(`enqueues all ${backlogSize} paid orders in one run, none twice, and each is fulfilled once`, async () => {
    const setup = await setupMerchant(platform);
    const productId = await createProduct(setup, { name: "Backlog card", priceMinor: "100" });
    await importKeys(setup, productId, randomKeys(backlogSize, "BACKLOG"));
    const { ctx } = platform;
    const db = ctx.database.db;
    const orderSettings = {
      expirySeconds: ctx.config.orders.expirySeconds,
      quantityMax: ctx.config.orders.quantityMax,
      queryPasswordPepper: ctx.config.secrets.queryPasswordPepper!,
      merchantFeeCreditMinor: ctx.config.ledger.merchantFeeCreditMinor,
      unpaidHolds: ctx.config.orders.unpaidHolds,
    };
    const paySettings = { platformFeeBps: ctx.config.orders.platformFeeBps, journal: ctx.journal, exactPayments: ctx.exactPayments };
    const orderIds: string[] = [];
    await inParallel(
      Array.from({ length: backlogSize }, (_, index) => index),
      8,
      async (index) => {
        const order = await createOrder(db, orderSettings, {
          productId: BigInt(productId),
          quantity: 1,
          contact: `backlog-${index}@example.com`,
          queryPassword: "backlog-pass",
          paymentMethod: "epay",
        });
        const paid = await handleEpayNotify(
          db,
          ctx.keyRing,
          paySettings,
          BigInt(setup.shopId),
          signedNotification(setup.sandbox, order, `T-BACKLOG-${order.id}`),
        );
        expect(paid.outcome).to.equal("accepted");
        orderIds.push(order.id);
      },
    );
    const paidCount = async () =>
      Number((await queryOne<{ n: bigint }>(db, sql`SELECT count(*) AS n FROM orders WHERE product_id = ${productId} AND state = 'paid'`))!.n);
    expect(await paidCount(), "the backlog: paid, never handed to the queue").to.equal(backlogSize);

    // The workers take nothing while the queue is paused: what one run enqueued stays visible.
    await ctx.queues.fulfilment.pause();
    const first = await requeuePaidOrders(db, ctx.queues, { graceSeconds: 0, pageSizeMax });
    expect(first).to.deep.equal({ rows: backlogSize, pages: Math.ceil((backlogSize + 1) / pageSizeMax), complete: true });
    const waiting = await ctx.queues.fulfilment.getWaiting(0, backlogSize * 2);
    expect(waiting.map((job) => job.id).sort(), "one job per order, its id the order's").to.deep.equal([...orderIds].sort());

    // A second run (another sweep, a replica's) finds the same orders and adds no job.
    const second = await requeuePaidOrders(db, ctx.queues, { graceSeconds: 0, pageSizeMax });
    expect(second.rows).to.equal(backlogSize);
    expect(await ctx.queues.fulfilment.getWaitingCount()).to.equal(backlogSize);

    await ctx.queues.fulfilment.resume();
    await waitFor("the backlog fulfilled", async () => (await paidCount()) === 0, 180_000, 250);
    const perOrder = await queryRows<{ id: string; state: string; keys: bigint; entitlements: bigint }>(
      db,
      sql`SELECT o.id, o.state,
                 (SELECT count(*) FROM keys k WHERE k.order_id = o.id AND k.status = 'sold') AS keys,
                 (SELECT count(*) FROM entitlements e JOIN keys k ON k.id = e.key_id WHERE k.order_id = o.id) AS entitlements
          FROM orders o WHERE o.product_id = ${productId}`,
    );
    expect(perOrder).to.have.length(backlogSize);
    const wrong = perOrder.filter((row) => row.state !== "fulfilled" || Number(row.keys) !== 1 || Number(row.entitlements) !== 1);
    expect(wrong, "orders not fulfilled exactly once").to.deep.equal([]);
    const soldKeys = await queryOne<{ sold: bigint; distinct_orders: bigint }>(
      db,
      sql`SELECT count(*) AS sold, count(DISTINCT order_id) AS distinct_orders FROM keys WHERE product_id = ${productId} AND status = 'sold'`,
    );
    expect({ sold: Number(soldKeys!.sold), orders: Number(soldKeys!.distinct_orders) }).to.deep.equal({ sold: backlogSize, orders: backlogSize });
    // Every fulfilment job ran once: one completed job per order, none failed.
    expect(await ctx.queues.fulfilment.getJobCounts("completed", "failed")).to.deep.equal({ completed: backlogSize, failed: 0 });
  });
});
