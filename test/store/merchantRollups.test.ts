// batch_stock and sales_daily (migration 0340): the merchant's batch list and sales chart read
// counts kept by triggers. After concurrent sales (reserve, sell, fulfil, in one transaction
// each), refunds of fulfilled orders, expiries and an import that starts over, they must equal
// recounts of keys and orders made here with COUNT and SUM, and the services must answer what
// the per-request counts they replaced answer.
import { expect } from "chai";
import { listBatches } from "../../api/services/shops/batches.ts";
import { salesSummary } from "../../api/services/shops/salesSummary.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { seededRandom } from "../../scripts/lib/seededRandom.ts";
import { createTestShop, importTestKeys, makeSecrets, testRing, type TestShop } from "../keys/fixtures.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

describe("store: merchant rollups kept exact by triggers (PostgreSQL server)", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  const ring = testRing();
  let shop: TestShop;
  const productIds: bigint[] = [];
  const batchIds: bigint[] = [];

  const batchCounts = async () =>
    queryRows<{ batch_id: string; available: string; sold: string }>(
      database.db,
      sql`SELECT batch_id::text, available::text, sold::text FROM batch_stock WHERE available <> 0 OR sold <> 0 ORDER BY batch_id`,
    );
  const batchRecount = async () =>
    queryRows<{ batch_id: string; available: string; sold: string }>(
      database.db,
      // For sale: 'available' in a released batch (migration 1570).
      sql`SELECT k.batch_id::text, count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NOT NULL)::text AS available,
                 count(*) FILTER (WHERE k.status = 'sold')::text AS sold
          FROM keys k JOIN batches b ON b.id = k.batch_id GROUP BY k.batch_id
          HAVING count(*) FILTER (WHERE (k.status = 'available' AND b.keys_released_at IS NOT NULL) OR k.status = 'sold') > 0 ORDER BY k.batch_id`,
    );
  const salesRows = async () =>
    queryRows<{ day: string; product_id: string; currency: string; orders: string; units: string; revenue: string }>(
      database.db,
      sql`SELECT day::text, product_id::text, currency, orders::text, units::text, revenue::text FROM sales_daily
          WHERE shop_id = ${shop.shopId} AND (orders <> 0 OR units <> 0 OR revenue <> 0) ORDER BY 1, 2, 3`,
    );
  const salesRecount = async () =>
    queryRows<{ day: string; product_id: string; currency: string; orders: string; units: string; revenue: string }>(
      database.db,
      sql`SELECT (fulfilled_at AT TIME ZONE 'UTC')::date::text AS day, product_id::text, currency, count(*)::text AS orders,
                 sum(quantity)::text AS units, sum(amount_minor)::text AS revenue
          FROM orders WHERE shop_id = ${shop.shopId} AND state = 'fulfilled' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
  const expectExact = async (step: string) => {
    expect(await batchCounts(), `batch_stock ${step}`).to.deep.equal(await batchRecount());
    expect(await salesRows(), `sales_daily ${step}`).to.deep.equal(await salesRecount());
  };

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 16 });
    shop = await createTestShop(database.db, ring);
    const other = await queryOne<{ id: bigint }>(
      database.db,
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shop.shopId}, 'Other card', 'game_card', 700, 'USD') RETURNING id`,
    );
    productIds.push(shop.productId, BigInt(other!.id));
    for (const [productId, count] of [
      [productIds[0]!, 60],
      [productIds[1]!, 50],
      [productIds[0]!, 40],
    ] as const) {
      batchIds.push((await importTestKeys(database.db, ring, shop, makeSecrets(count), { productId })).batchId);
    }
  });
  after(async () => {
    await database?.drop();
  });

  it("counts imported, anchored, deleted keys per batch", async () => {
    await expectExact("imported (pending keys count in neither)");
    expect(await batchCounts()).to.deep.equal([]);
    await database.db.execute(sql`SELECT batch_release_keys(${batchIds[0]!}), batch_release_keys(${batchIds[1]!})`);
    await expectExact("two batches anchored");
    // An import that starts over deletes its keys (pending), then the batch is anchored.
    await database.db.execute(sql`DELETE FROM keys WHERE batch_id = ${batchIds[2]!} AND leaf_index >= 30`);
    await expectExact("partly deleted");
    expect((await batchCounts()).map((row) => row.available)).to.deep.equal(["60", "50"]);
    await database.db.execute(sql`SELECT batch_release_keys(${batchIds[2]!})`);
    await expectExact("third batch anchored");
    expect((await batchCounts()).map((row) => row.available)).to.deep.equal(["60", "50", "30"]);
  });

  it("stays exact under concurrent sales, refunds and expiries, and the services answer what recounts answer", async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 100_000);
    const random = seededRandom(seed);
    let sequence = 0;
    const fulfilled: string[] = [];
    // One sale: an order, its keys reserved, sold and the order fulfilled on one of the last
    // five UTC days, in one transaction (as a paid order's fulfilment commits).
    const sale = async (productId: bigint, quantity: number, daysAgo: number) => {
      const orderId = `KLROLL${String(sequence++).padStart(6, "0")}`;
      const unit = productId === productIds[0] ? 1000 : 700;
      const currency = productId === productIds[0] ? "CNY" : "USD";
      const sold = await database.db.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO orders (id, shop_id, product_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at, contact, query_password_hash)
          VALUES (${orderId}, ${shop.shopId}, ${productId}, ${quantity}, ${unit}, ${unit * quantity}, ${currency}, 'awaiting_payment', now() + interval '1 hour', 'b@example.test', 'x')`);
        const reserved = await queryRows<{ id: bigint }>(
          tx,
          sql`UPDATE keys SET status = 'reserved', order_id = ${orderId}
              WHERE id IN (SELECT id FROM keys WHERE product_id = ${productId} AND status = 'available' ORDER BY id LIMIT ${quantity} FOR UPDATE SKIP LOCKED)
              RETURNING id`,
        );
        if (reserved.length < quantity) return false;
        await tx.execute(sql`UPDATE orders SET state = 'paid', paid_at = now() WHERE id = ${orderId}`);
        await tx.execute(sql`UPDATE keys SET status = 'sold', sold_at = now() WHERE order_id = ${orderId} AND status = 'reserved'`);
        await tx.execute(
          sql`UPDATE orders SET state = 'fulfilled', fulfilled_at = now() - make_interval(days => ${daysAgo}) WHERE id = ${orderId} AND state = 'paid'`,
        );
        return true;
      });
      if (sold) fulfilled.push(orderId);
      else await database.db.execute(sql`DELETE FROM orders WHERE id = ${orderId}`);
    };
    const refund = async () => {
      const orderId = fulfilled.splice(Math.floor(random() * fulfilled.length), 1)[0];
      if (!orderId) return;
      await database.db.execute(sql`UPDATE orders SET state = 'refunded', refund_reason = 'test' WHERE id = ${orderId} AND state = 'fulfilled'`);
    };
    // A checkout that expires: keys reserved, then released; the order never fulfilled.
    const expiry = async () => {
      const orderId = `KLROLLX${String(sequence++).padStart(5, "0")}`;
      await database.db.execute(sql`WITH o AS (
          INSERT INTO orders (id, shop_id, product_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at, contact, query_password_hash)
          VALUES (${orderId}, ${shop.shopId}, ${productIds[1]!}, 1, 700, 700, 'USD', 'awaiting_payment', now() + interval '1 hour', 'b@example.test', 'x') RETURNING id)
        UPDATE keys SET status = 'reserved', order_id = (SELECT id FROM o)
        WHERE id IN (SELECT id FROM keys WHERE product_id = ${productIds[1]!} AND status = 'available' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)`);
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`UPDATE keys SET status = 'available', order_id = NULL WHERE order_id = ${orderId} AND status = 'reserved'`);
        await tx.execute(sql`UPDATE orders SET state = 'expired' WHERE id = ${orderId}`);
      });
    };

    for (let round = 0; round < 4; round++) {
      const operations: Promise<unknown>[] = [];
      for (let index = 0; index < 24; index++) {
        const pick = random();
        if (pick < 0.6) operations.push(sale(productIds[Math.floor(random() * 2)]!, 1 + Math.floor(random() * 3), Math.floor(random() * 5)));
        else if (pick < 0.85) operations.push(refund());
        else operations.push(expiry());
      }
      const results = await Promise.allSettled(operations);
      const failures = results.filter((result) => result.status === "rejected").map((result) => String((result as PromiseRejectedResult).reason));
      expect(failures, `seed ${seed}`).to.deep.equal([]);
      await expectExact(`after round ${round} (seed ${seed})`);
    }

    // The batch list answers the counts the subqueries it replaced answer.
    const page = await listBatches(database.db, { shopId: shop.shopId, limit: 10 });
    const counted = await queryRows<{ id: string; sold: string; available: string }>(
      database.db,
      sql`SELECT b.id::text, (SELECT count(*) FROM keys k WHERE k.batch_id = b.id AND k.status = 'sold')::text AS sold,
                 (SELECT count(*) FROM keys k WHERE k.batch_id = b.id AND k.status = 'available')::text AS available
          FROM batches b WHERE b.shop_id = ${shop.shopId} ORDER BY b.id DESC`,
    );
    expect(page.map((batch) => ({ id: batch.id, sold: String(batch.sold), available: String(batch.available) }))).to.deep.equal(counted);
    expect(
      page.reduce((sum, batch) => sum + batch.sold, 0),
      "something was sold",
    ).to.be.above(0);

    // The chart: the last 3 UTC days, recounted from orders.
    const summary = await salesSummary(database.db, shop.shopId, 3);
    const perDay = await queryRows<{ day: string; currency: string; revenue: string; orders: string }>(
      database.db,
      sql`SELECT to_char((fulfilled_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, currency, sum(amount_minor)::text AS revenue, count(*)::text AS orders
          FROM orders WHERE shop_id = ${shop.shopId} AND state = 'fulfilled' AND (fulfilled_at AT TIME ZONE 'UTC')::date > (now() AT TIME ZONE 'UTC')::date - 3
          GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(summary.revenuePerDay).to.deep.equal(
      perDay.map((row) => ({ day: row.day, currency: row.currency, revenueMinor: row.revenue, orders: Number(row.orders) })),
    );
    const top = await queryRows<{ product_id: string; revenue: string; units: string; currency: string }>(
      database.db,
      sql`SELECT product_id::text, currency, sum(amount_minor)::text AS revenue, sum(quantity)::text AS units
          FROM orders WHERE shop_id = ${shop.shopId} AND state = 'fulfilled' AND (fulfilled_at AT TIME ZONE 'UTC')::date > (now() AT TIME ZONE 'UTC')::date - 3
          GROUP BY product_id, currency ORDER BY sum(amount_minor) DESC, product_id`,
    );
    expect(summary.topProducts.map(({ productId, currency, revenueMinor, units }) => ({ productId, currency, revenueMinor, units }))).to.deep.equal(
      top.map((row) => ({ productId: row.product_id, currency: row.currency, revenueMinor: row.revenue, units: Number(row.units) })),
    );
  });

  it("leaves the rollups alone when an update changes no count", async () => {
    const before = await queryOne<{ xmin: string }>(
      database.db,
      sql`SELECT string_agg(xmin::text, ',' ORDER BY shop_id, day, product_id) AS xmin FROM sales_daily`,
    );
    const stockBefore = await queryOne<{ xmin: string }>(database.db, sql`SELECT string_agg(xmin::text, ',' ORDER BY batch_id) AS xmin FROM batch_stock`);
    await database.db.execute(sql`UPDATE orders SET delivery_note = 'noted' WHERE shop_id = ${shop.shopId}`);
    await database.db.execute(sql`UPDATE keys SET reserved_until = NULL WHERE shop_id = ${shop.shopId}`);
    expect(await queryOne(database.db, sql`SELECT string_agg(xmin::text, ',' ORDER BY shop_id, day, product_id) AS xmin FROM sales_daily`)).to.deep.equal(
      before,
    );
    expect(await queryOne(database.db, sql`SELECT string_agg(xmin::text, ',' ORDER BY batch_id) AS xmin FROM batch_stock`)).to.deep.equal(stockBefore);
    await expectExact("after updates that change no count");
  });
});
