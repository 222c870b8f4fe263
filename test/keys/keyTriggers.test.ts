// product_stock (migration 0105): the counts the storefront reads must equal a recount of keys
// after every kind of statement that changes keys, including statements spanning several
// products and many concurrent ones, and a statement that changes no count must not touch it.
// key_commitments (0201): each key's commitment maps to its batch and leaf while the key exists.
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createTestShop, importTestKeys, makeSecrets, testRing, type TestShop } from "./fixtures.ts";

type Counts = { product_id: string; available: string; pending: string };

describe("keys: stock counts and commitment look-ups kept by triggers (PostgreSQL server)", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  const ring = testRing();
  let shop: TestShop;
  let otherProductId: bigint;

  const stored = async () =>
    queryRows<Counts>(
      database.db,
      sql`SELECT product_id::text, available::text, pending::text FROM product_stock WHERE available <> 0 OR pending <> 0 ORDER BY product_id`,
    );
  const recounted = async () =>
    queryRows<Counts>(
      database.db,
      // For sale: 'available' in a released batch; pending: 'available' in a batch not released yet (migration 1570).
      sql`SELECT k.product_id::text, count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NOT NULL)::text AS available,
                 count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NULL)::text AS pending
          FROM keys k JOIN batches b ON b.id = k.batch_id GROUP BY k.product_id HAVING count(*) FILTER (WHERE k.status = 'available') > 0 ORDER BY k.product_id`,
    );
  const expectConsistent = async (step: string) => expect(await stored(), step).to.deep.equal(await recounted());
  const importKeys = async (productId: bigint, count: number) => (await importTestKeys(database.db, ring, shop, makeSecrets(count), { productId })).batchId;

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 12 });
    shop = await createTestShop(database.db, ring);
    const other = await queryOne<{ id: bigint }>(
      database.db,
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shop.shopId}, 'Other card', 'game_card', 500, 'CNY') RETURNING id`,
    );
    otherProductId = BigInt(other!.id);
  });
  after(async () => {
    await database?.drop();
  });

  it("follows imports, anchoring, reservations, releases, sales and deletions, several products per statement", async () => {
    const first = await importKeys(shop.productId, 30);
    const second = await importKeys(otherProductId, 20);
    expect(await stored()).to.deep.equal([
      { product_id: String(shop.productId), available: "0", pending: "30" },
      { product_id: String(otherProductId), available: "0", pending: "20" },
    ]);
    await expectConsistent("imported");
    await database.db.execute(sql`SELECT batch_release_keys(${first}), batch_release_keys(${second})`);
    await expectConsistent("anchored");
    // A second release changes nothing.
    await database.db.execute(sql`SELECT batch_release_keys(${first})`);
    await expectConsistent("released twice");

    // One statement reserving keys of both products (as a batched checkout does).
    await database.db.execute(sql`INSERT INTO orders (id, shop_id, product_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at, contact, query_password_hash)
      VALUES ('KLSTOCK0001', ${shop.shopId}, ${shop.productId}, 7, 1000, 7000, 'CNY', 'awaiting_payment', now() + interval '1 hour', 'b@example.test', 'x'),
             ('KLSTOCK0002', ${shop.shopId}, ${otherProductId}, 4, 500, 2000, 'CNY', 'awaiting_payment', now() + interval '1 hour', 'b@example.test', 'x')`);
    await database.db.execute(sql`UPDATE keys SET status = 'reserved', order_id = CASE WHEN product_id = ${shop.productId} THEN 'KLSTOCK0001' ELSE 'KLSTOCK0002' END
      WHERE id IN (SELECT id FROM keys WHERE product_id = ${shop.productId} AND status = 'available' ORDER BY id LIMIT 7)
         OR id IN (SELECT id FROM keys WHERE product_id = ${otherProductId} AND status = 'available' ORDER BY id LIMIT 4)`);
    expect(await stored()).to.deep.equal([
      { product_id: String(shop.productId), available: "23", pending: "0" },
      { product_id: String(otherProductId), available: "16", pending: "0" },
    ]);

    // Selling reserved keys changes no count: the product's row is not even written.
    const before = await queryOne<{ xmin: string }>(database.db, sql`SELECT xmin::text FROM product_stock WHERE product_id = ${shop.productId}`);
    await database.db.execute(sql`UPDATE keys SET status = 'sold', sold_at = now() WHERE order_id = 'KLSTOCK0001' AND status = 'reserved'`);
    const after = await queryOne<{ xmin: string }>(database.db, sql`SELECT xmin::text FROM product_stock WHERE product_id = ${shop.productId}`);
    expect(after!.xmin, "a sale leaves the stock row alone").to.equal(before!.xmin);
    await expectConsistent("sold");

    // An expiry releases the other order's keys.
    await database.db.execute(sql`UPDATE keys SET status = 'available', order_id = NULL WHERE order_id = 'KLSTOCK0002' AND status = 'reserved'`);
    await expectConsistent("released");

    // A crashed import's keys are deleted (still pending), and a statement changing no status.
    const third = await importKeys(otherProductId, 5);
    await expectConsistent("imported again");
    await database.db.execute(sql`DELETE FROM keys WHERE batch_id = ${third}`);
    await database.db.execute(sql`UPDATE keys SET reserved_until = NULL WHERE batch_id = ${first}`);
    await expectConsistent("deleted");
    expect(await stored()).to.deep.equal([
      { product_id: String(shop.productId), available: "23", pending: "0" },
      { product_id: String(otherProductId), available: "20", pending: "0" },
    ]);
  });

  it("stays exact under concurrent checkouts of both products, in either order, without deadlocks", async () => {
    const orders = Array.from({ length: 40 }, (_, index) => `KLSTOCKC${String(index).padStart(4, "0")}`);
    // Each statement reserves one key of each product, naming them in a different order.
    const results = await Promise.allSettled(
      orders.map((orderId, index) => {
        const [a, b] = index % 2 === 0 ? [shop.productId, otherProductId] : [otherProductId, shop.productId];
        return database.db.execute(sql`WITH o AS (
            INSERT INTO orders (id, shop_id, product_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at, contact, query_password_hash)
            VALUES (${orderId}, ${shop.shopId}, ${a}, 2, 1, 2, 'CNY', 'awaiting_payment', now() + interval '1 hour', 'b@example.test', 'x') RETURNING id)
          UPDATE keys SET status = 'reserved', order_id = (SELECT id FROM o)
          WHERE id IN (SELECT id FROM keys WHERE product_id = ${a} AND status = 'available' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
             OR id IN (SELECT id FROM keys WHERE product_id = ${b} AND status = 'available' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)`);
      }),
    );
    expect(results.filter((result) => result.status === "rejected").map((result) => String((result as PromiseRejectedResult).reason))).to.deep.equal([]);
    await expectConsistent("after the concurrent checkouts");
    const left = await stored();
    // 23 + 20 keys were available; 40 statements took at most one of each product each.
    expect(left.reduce((sum, row) => sum + Number(row.available), 0)).to.be.below(43);
  });

  it("keeps each key's commitment look-up (migration 0201: the public oracle's) from import to deletion", async () => {
    const { batchId } = await importTestKeys(database.db, ring, shop, makeSecrets(7));
    const lookups = () =>
      queryRows<{ leaf_index: number; matches: boolean }>(
        database.db,
        sql`SELECT c.leaf_index, (k.batch_id = c.batch_id AND k.leaf_index = c.leaf_index) AS matches
            FROM key_commitments c JOIN keys k ON k.commitment = c.commitment WHERE c.batch_id = ${batchId} ORDER BY c.leaf_index`,
      );
    expect(await lookups()).to.deep.equal(Array.from({ length: 7 }, (_, leafIndex) => ({ leaf_index: leafIndex, matches: true })));
    await database.db.execute(sql`DELETE FROM keys WHERE batch_id = ${batchId}`);
    expect(await lookups()).to.deep.equal([]);
    const left = await queryOne<{ count: bigint }>(database.db, sql`SELECT count(*) AS count FROM key_commitments WHERE batch_id = ${batchId}`);
    expect(left!.count).to.equal(0n);
  });
});
