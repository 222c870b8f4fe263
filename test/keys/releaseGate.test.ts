// "A key is never sold before its batch is committed on-chain" (docs/DESIGN.md, committed
// inventory), on the real PostgreSQL server. An import stores its keys as 'available' at once
// (migration 1570); what keeps them off sale until the anchor is their batch's release
// (batches.keys_released_at, set by batch_release_keys when the chain writer sees the root
// included). Here a batch whose keys are stored but not released sits behind a sold-out one: the
// checkout must call the product out of stock rather than take one of its keys, the counters must
// show them pending, and once the batch is released the same checkout gets one of them.
import { expect } from "chai";
import { AppError } from "../../core/errors.ts";
import { createOrder } from "../../api/services/orders/createOrder.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createTestShop, importTestKeys, makeSecrets, testRing, type TestShop } from "./fixtures.ts";

const orderSettings = {
  expirySeconds: 900,
  quantityMax: 10,
  queryPasswordPepper: "pepper-for-tests",
  merchantFeeCreditMinor: 1_000_000n,
  unpaidHolds: { perContactMax: 10_000, perClientMax: 100_000, shareBps: 10_000, pressureBps: 10_000, pressureExpirySeconds: 900 },
};

describe("keys: a batch's keys are for sale only once the batch is released", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  const ring = testRing();
  let shop: TestShop;

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
    shop = await createTestShop(database.db, ring);
  });
  after(async () => {
    await database?.drop();
  });

  const checkout = () =>
    createOrder(database.db, orderSettings, { productId: shop.productId, quantity: 1, buyerAccountId: shop.accountId, paymentMethod: "epay" });
  const stock = () =>
    queryOne<{ available: string; pending: string }>(
      database.db,
      sql`SELECT available::text, pending::text FROM product_stock WHERE product_id = ${shop.productId}`,
    );

  it("refuses the keys of an unreleased batch to the checkout, and sells them once it is released", async () => {
    const sold = await importTestKeys(database.db, ring, shop, makeSecrets(2));
    await database.db.execute(sql`SELECT batch_release_keys(${sold.batchId})`);
    const waiting = await importTestKeys(database.db, ring, shop, makeSecrets(3));
    // Stored as 'available' (no per-key write at the anchor), counted as pending.
    const statuses = await queryRows<{ status: string; n: string }>(
      database.db,
      sql`SELECT status, count(*)::text AS n FROM keys WHERE batch_id = ${waiting.batchId} GROUP BY status`,
    );
    expect(statuses).to.deep.equal([{ status: "available", n: "3" }]);
    expect(await stock()).to.deep.equal({ available: "2", pending: "3" });

    const first = await checkout();
    const second = await checkout();
    const taken = await queryRows<{ batch_id: string }>(
      database.db,
      sql`SELECT batch_id::text FROM keys WHERE order_id IN (${first.id}, ${second.id}) ORDER BY id`,
    );
    expect(taken).to.deep.equal([{ batch_id: String(sold.batchId) }, { batch_id: String(sold.batchId) }]);

    // The released batch is sold out; the other batch's three keys are 'available' rows but not for sale.
    const refused = await checkout().then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(AppError);
    expect((refused as AppError).code).to.equal("out_of_stock");
    const stillFree = await queryOne<{ n: string }>(
      database.db,
      sql`SELECT count(*)::text AS n FROM keys WHERE batch_id = ${waiting.batchId} AND status = 'available' AND order_id IS NULL`,
    );
    expect(stillFree!.n).to.equal("3");
    expect(await stock()).to.deep.equal({ available: "0", pending: "3" });

    await database.db.execute(sql`SELECT batch_release_keys(${waiting.batchId})`);
    expect(await stock()).to.deep.equal({ available: "3", pending: "0" });
    const third = await checkout();
    const key = await queryOne<{ batch_id: string }>(database.db, sql`SELECT batch_id::text FROM keys WHERE order_id = ${third.id}`);
    expect(key!.batch_id).to.equal(String(waiting.batchId));
    expect(await stock()).to.deep.equal({ available: "2", pending: "0" });
    const batchStock = await queryOne<{ available: string; sold: string }>(
      database.db,
      sql`SELECT available::text, sold::text FROM batch_stock WHERE batch_id = ${waiting.batchId}`,
    );
    expect(batchStock).to.deep.equal({ available: "2", sold: "0" });
  });
});
