// A worker killed (SIGKILL) in the middle of fulfilment leaves no lost order and no duplicate
// key once workers run again: fulfilment is one database transaction, and BullMQ hands the
// killed worker's jobs to the next worker once their lock expires.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { stopChild } from "../../scripts/lib/stopChild.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const orderCount = 400;

function startWorkerProcess(platform: TestPlatform): ChildProcess {
  return spawn(process.execPath, [`${root}api/jobs/main.ts`], {
    cwd: root,
    env: { ...process.env, ...platform.env, JOB_LOCK_DURATION_MS: "2000", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

describe("worker killed mid-fulfilment", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  const children: ChildProcess[] = [];

  before(async () => {
    platform = await startTestPlatform({ workers: false });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await platform?.stopAll();
  });

  it("loses no order and delivers no key twice", async () => {
    const db = platform.database.db;
    const setup = await setupMerchant(platform);
    const productId = await createProduct(setup, { name: "Crash test" });
    const importer = startWorkerProcess(platform);
    children.push(importer);
    await importKeys(setup, productId, randomKeys(orderCount, "CRASH"));
    await stopChild(importer);

    // With no worker running, every paid order waits in the fulfilment queue.
    const orders: { id: string; amountMinor: string }[] = [];
    for (let start = 0; start < orderCount; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, orderCount - start) }, (_, i) =>
          platform.http.post("/api/orders", { productId, quantity: 1, contact: `crash${start + i}@example.com`, queryPassword: "pass-1234" }),
        ),
      );
      for (const response of batch) {
        expect(response.status, response.text).to.equal(201);
        orders.push(response.body.order);
      }
    }
    for (let start = 0; start < orders.length; start += 50) {
      await Promise.all(
        orders
          .slice(start, start + 50)
          .map((order, i) => platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, `T-CRASH-${start + i}`)))),
      );
    }
    const fulfilled = async () =>
      Number((await queryOne<{ n: bigint }>(db, sql`SELECT count(*) AS n FROM orders WHERE product_id = ${BigInt(productId)} AND state = 'fulfilled'`))!.n);
    expect(await fulfilled()).to.equal(0);

    const victim = startWorkerProcess(platform);
    children.push(victim);
    await waitFor("first fulfilments", async () => (await fulfilled()) >= 20 || undefined, 60_000, 5);
    victim.kill("SIGKILL");
    await new Promise((resolve) => victim.once("exit", resolve));
    const atKill = await fulfilled();
    expect(atKill).to.be.lessThan(orderCount, "the worker must be killed before it finished");

    const survivor = startWorkerProcess(platform);
    children.push(survivor);
    await waitFor("every order fulfilled", async () => (await fulfilled()) === orderCount || undefined, 120_000, 100);
    await stopChild(survivor);

    const check = await queryOne<Record<string, bigint>>(
      db,
      sql`SELECT (SELECT count(*) FROM keys WHERE product_id = ${BigInt(productId)} AND status = 'sold') AS sold,
                 (SELECT count(DISTINCT order_id) FROM keys WHERE product_id = ${BigInt(productId)} AND status = 'sold') AS orders_with_keys,
                 (SELECT count(*) FROM entitlements WHERE product_id = ${BigInt(productId)}) AS entitlements,
                 (SELECT count(*) FROM (SELECT order_id FROM keys WHERE product_id = ${BigInt(productId)} GROUP BY order_id HAVING count(*) > 1) d) AS orders_with_two_keys,
                 (SELECT count(*) FROM orders WHERE product_id = ${BigInt(productId)} AND state <> 'fulfilled') AS not_fulfilled`,
    );
    expect(Object.fromEntries(Object.entries(check!).map(([name, value]) => [name, Number(value)]))).to.deep.equal({
      sold: orderCount,
      orders_with_keys: orderCount,
      entitlements: orderCount,
      orders_with_two_keys: 0,
      not_fulfilled: 0,
    });
  });
});
