// Auto-restock of a docked listing (docs/docking.md, "Auto-restock"), against PostgreSQL through
// the real services: the rule, the checkout's one statement, the triggers. Parallel sales that
// cross the threshold trigger exactly one restock of N; the budget is never exceeded (the figures
// below are computed by hand from the rule); the supplier's own checkouts racing the listing's
// never take an allocated key and no key is reserved twice; product_stock equals a recount of
// keys after every step; disabling the rule or stopping the supply gives the allocation back, and
// resuming tops it up; bad rules are refused with a code and write nothing.
//
// Broken on purpose once each (then restored): with docking_restock's "v_held >= threshold" check
// removed, the parallel sales restocked several times and the first test failed on the restock
// count; with the checkout's pool condition replaced by the stock product's id, the supplier's
// checkouts took allocated keys and the race test failed.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { createOrder, type CreateOrderSettings } from "../../api/services/orders/createOrder.ts";
import { createListing } from "../../api/services/docking/listings.ts";
import { offerProduct, stopSupplying } from "../../api/services/docking/offers.ts";
import { getRestock, setRestockRule, type RestockRuleInput } from "../../api/services/docking/restock.ts";
import { getProduct } from "../../api/services/products/products.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createTestShop, importTestKeys, makeSecrets, testRing, type TestShop } from "../keys/fixtures.ts";

// Unpaid-reservation limits are not what this suite tests: lifted.
const orderSettings: CreateOrderSettings = {
  expirySeconds: 900,
  quantityMax: 10,
  queryPasswordPepper: "pepper-for-tests",
  merchantFeeCreditMinor: 1_000_000n,
  unpaidHolds: { perContactMax: 10_000, perClientMax: 100_000, shareBps: 10_000, pressureBps: 10_000, pressureExpirySeconds: 900 },
};
const wholesale = 100n;

describe("docking: auto-restock of a listing's allocation (PostgreSQL)", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  const ring = testRing();
  let supplier: TestShop;
  let reseller: TestShop;
  let sequence = 0;

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 16 });
    [supplier, reseller] = [await createTestShop(database.db, ring), await createTestShop(database.db, ring)];
  });
  after(async () => {
    await database?.drop();
  });

  /** A supplier product with `keys` available keys, offered at the wholesale, and a reseller's listing of it. */
  async function dockedListing(keys: number): Promise<{ supplyId: bigint; listingId: bigint }> {
    const product = await queryOne<{ id: bigint }>(
      database.db,
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency, low_stock_threshold)
          VALUES (${supplier.shopId}, ${`Supplied card ${randomBytes(3).toString("hex")}`}, 'game_card', 300, 'CNY', 1) RETURNING id`,
    );
    const supplyId = BigInt(product!.id);
    const { batchId } = await importTestKeys(database.db, ring, supplier, makeSecrets(keys), { productId: supplyId });
    await database.db.execute(sql`SELECT batch_release_keys(${batchId})`);
    await offerProduct(database.db, { shopId: supplier.shopId, productId: supplyId, wholesalePriceMinor: wholesale, accountId: supplier.accountId });
    const listing = await createListing(database.db, {
      shopId: reseller.shopId,
      supplyProductId: supplyId,
      name: "Restocked card",
      priceMinor: 250n,
      accountId: reseller.accountId,
    });
    return { supplyId, listingId: BigInt(listing.productId) };
  }

  const rule = (listingId: bigint, values: RestockRuleInput) =>
    setRestockRule(database.db, { shopId: reseller.shopId, listingId, accountId: reseller.accountId, rule: values });

  const buy = (productId: bigint) => {
    sequence += 1;
    return createOrder(database.db, orderSettings, {
      productId,
      quantity: 1,
      contact: `restock-${sequence}@example.com`,
      queryPassword: "restock-pass-1",
      paymentMethod: "chain",
    });
  };

  const restocksOf = async (listingId: bigint) =>
    queryRows<{ keys: number; reason: string; cost_minor: string }>(
      database.db,
      sql`SELECT keys, reason, cost_minor::text FROM docking_restocks WHERE listing_product_id = ${listingId} ORDER BY id`,
    );

  /** product_stock against a recount of keys: available, allocated, and the listing's allocation. */
  async function expectExactStock(supplyId: bigint, listingId: bigint, step: string) {
    const stored = await queryRows<{ product_id: string; available: string; allocated: string }>(
      database.db,
      sql`SELECT product_id::text, available::text, allocated::text FROM product_stock WHERE product_id IN (${supplyId}, ${listingId}) ORDER BY product_id`,
    );
    const counted = await queryOne<{ available: string; allocated: string; listing: string }>(
      database.db,
      sql`SELECT count(*) FILTER (WHERE status = 'available')::text AS available,
                 count(*) FILTER (WHERE status = 'available' AND allocated_product_id IS NOT NULL)::text AS allocated,
                 count(*) FILTER (WHERE status = 'available' AND allocated_product_id = ${listingId})::text AS listing
          FROM keys WHERE product_id = ${supplyId}`,
    );
    const row = (id: bigint) => stored.find((entry) => entry.product_id === String(id));
    expect(row(supplyId), step).to.include({ available: counted!.available, allocated: counted!.allocated });
    expect(row(listingId)?.available ?? "0", step).to.equal(counted!.listing);
    // No key is reserved by two orders, and every order holds exactly its quantity.
    const orders = await queryRows<{ id: string; quantity: number; reserved: string }>(
      database.db,
      sql`SELECT o.id, o.quantity, (SELECT count(*) FROM keys k WHERE k.order_id = o.id)::text AS reserved
          FROM orders o WHERE o.product_id IN (${supplyId}, ${listingId})`,
    );
    for (const order of orders) expect(Number(order.reserved), `${step}: order ${order.id}`).to.equal(order.quantity);
  }

  it("parallel sales crossing the threshold restock exactly once, by N; the budget stops the restocks at its value", async () => {
    const { supplyId, listingId } = await dockedListing(60);
    // threshold 5, N = 10, at most 20 held, budget 25 keys at 100 = 2500.
    const set = await rule(listingId, { threshold: 5, batchKeys: 10, maxKeys: 20, budgetMinor: 2500n, enabled: true });
    // Below the threshold when set (0 < 5): one restock of 10 at once. 2500 - 1000 = 1500 left.
    expect(set).to.include({ allocatedAvailable: 10, budgetRemainingMinor: "1500", restockedKeys: "10" });
    expect((await getProduct(database.db, listingId)).stock).to.equal(10);
    expect((await getProduct(database.db, supplyId)).stock, "the supplier's free stock").to.equal(50);
    await expectExactStock(supplyId, listingId, "rule set");

    // 5 sales: 10 -> 5, never below 5, no restock.
    for (let sale = 0; sale < 5; sale += 1) await buy(listingId);
    expect(await restocksOf(listingId)).to.have.length(1);

    // 8 sales at once: the first to land takes it 5 -> 4 (below) and restocks 10 -> 14; the
    // others see 14, 13, ... : one restock. 5 - 8 + 10 = 7 left, 1500 - 1000 = 500.
    const parallel = await Promise.allSettled(Array.from({ length: 8 }, () => buy(listingId)));
    expect(parallel.filter((outcome) => outcome.status === "fulfilled")).to.have.length(8);
    expect(await restocksOf(listingId)).to.deep.equal([
      { keys: 10, reason: "rule_set", cost_minor: "1000" },
      { keys: 10, reason: "threshold", cost_minor: "1000" },
    ]);
    expect(await getRestock(database.db, reseller.shopId, listingId)).to.include({ allocatedAvailable: 7, budgetRemainingMinor: "500" });
    await expectExactStock(supplyId, listingId, "parallel crossing");

    // 3 more: 7 -> 4 restocks min(N 10, cap 20 - 4 = 16, budget 500 / 100 = 5) = 5 -> 9; budget 0.
    for (let sale = 0; sale < 3; sale += 1) await buy(listingId);
    expect((await restocksOf(listingId)).at(-1)).to.deep.equal({ keys: 5, reason: "threshold", cost_minor: "500" });
    // The budget is spent: 9 more sales, all of them at once, then out of stock; no restock.
    const last = await Promise.allSettled(Array.from({ length: 12 }, () => buy(listingId)));
    expect(last.filter((outcome) => outcome.status === "fulfilled")).to.have.length(9);
    expect(last.flatMap((outcome) => (outcome.status === "rejected" ? [(outcome.reason as { code?: string }).code] : []))).to.deep.equal(
      Array(3).fill("out_of_stock"),
    );
    const restocks = await restocksOf(listingId);
    expect(
      restocks.reduce((sum, row) => sum + BigInt(row.cost_minor), 0n),
      "never beyond the budget",
    ).to.equal(2500n);
    expect(await getRestock(database.db, reseller.shopId, listingId)).to.include({ allocatedAvailable: 0, budgetRemainingMinor: "0", restockedKeys: "25" });
    // The supplier sold nothing itself: 60 - 25 allocated (all sold) = 35 free.
    expect((await getProduct(database.db, supplyId)).stock).to.equal(35);
    await expectExactStock(supplyId, listingId, "budget spent");
  });

  it("the supplier's own checkouts racing the listing's never take an allocated key; no key is sold twice", async () => {
    const { supplyId, listingId } = await dockedListing(30);
    await rule(listingId, { threshold: 4, batchKeys: 6, maxKeys: 12, budgetMinor: 100_000n, enabled: true });
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, (_, index) => buy(index % 2 === 0 ? listingId : supplyId)));
    const served = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [(outcome.reason as { code?: string }).code] : []));
    expect(new Set(refused)).to.satisfy((codes: Set<string>) => [...codes].every((code) => code === "out_of_stock"));
    // Every key sold at most once, and all 30 went (60 buyers for 30 keys, the listing restocking as it goes).
    expect(served).to.have.length(30);
    const taken = await queryRows<{ product_id: string; allocated: boolean; n: string }>(
      database.db,
      sql`SELECT o.product_id::text, k.allocated_product_id IS NOT NULL AS allocated, count(*)::text AS n
          FROM keys k JOIN orders o ON o.id = k.order_id WHERE k.product_id = ${supplyId} GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    // The supplier's orders took only unallocated keys, the listing's only keys allocated to it.
    for (const row of taken) expect(row.allocated, `orders of ${row.product_id}`).to.equal(row.product_id === String(listingId));
    const allocated = (await restocksOf(listingId)).reduce((sum, row) => sum + row.keys, 0);
    const listingSold = served.filter((order) => String(order.productId) === String(listingId)).length;
    expect(listingSold).to.equal(allocated);
    await expectExactStock(supplyId, listingId, "race");
  });

  it("disabling the rule or stopping the supply gives the allocation back; resuming tops it up", async () => {
    const { supplyId, listingId } = await dockedListing(20);
    const values = { threshold: 3, batchKeys: 8, maxKeys: 8, budgetMinor: 100_000n, enabled: true };
    await rule(listingId, values);
    expect((await getProduct(database.db, supplyId)).stock).to.equal(12);
    // Disabled: the 8 keys are the supplier's free stock again, and the listing sells from it.
    const disabled = await rule(listingId, { ...values, enabled: false });
    expect(disabled.allocatedAvailable).to.equal(0);
    expect((await getProduct(database.db, supplyId)).stock).to.equal(20);
    expect((await getProduct(database.db, listingId)).stock).to.equal(20);
    await expectExactStock(supplyId, listingId, "disabled");
    await rule(listingId, values);
    expect((await getProduct(database.db, listingId)).stock).to.equal(8);
    // Stopped: released; resumed: topped up again.
    await stopSupplying(database.db, { shopId: supplier.shopId, productId: supplyId, accountId: supplier.accountId });
    expect((await getProduct(database.db, listingId)).stock).to.equal(0);
    await expectExactStock(supplyId, listingId, "stopped");
    await offerProduct(database.db, { shopId: supplier.shopId, productId: supplyId, wholesalePriceMinor: wholesale, accountId: supplier.accountId });
    expect((await getProduct(database.db, listingId)).stock).to.equal(8);
    expect((await restocksOf(listingId)).map((row) => row.reason)).to.deep.equal(["rule_set", "rule_set", "supply_resumed"]);
    await expectExactStock(supplyId, listingId, "resumed");
  });

  it("refuses bad rules with a code and writes nothing", async () => {
    const { supplyId, listingId } = await dockedListing(5);
    const refusal = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return "accepted";
    };
    const good = { threshold: 2, batchKeys: 3, maxKeys: 4, budgetMinor: 1000n, enabled: true };
    expect(await refusal(rule(listingId, { ...good, batchKeys: 5 }))).to.equal("validation_failed"); // maxKeys < batchKeys
    expect(await refusal(rule(listingId, { ...good, threshold: 5 }))).to.equal("validation_failed"); // maxKeys < threshold
    expect(await refusal(rule(listingId, { ...good, budgetMinor: -1n }))).to.equal("validation_failed");
    expect(await refusal(rule(listingId, { ...good, maxKeys: 10_001 }))).to.equal("validation_failed");
    // Not a listing (the supplier's own product), another shop's listing.
    expect(await refusal(setRestockRule(database.db, { shopId: supplier.shopId, listingId: supplyId, accountId: supplier.accountId, rule: good }))).to.equal(
      "invalid_state",
    );
    expect(await refusal(setRestockRule(database.db, { shopId: supplier.shopId, listingId, accountId: supplier.accountId, rule: good }))).to.equal("not_found");
    expect(await refusal(getRestock(database.db, reseller.shopId, listingId))).to.equal("not_found");
    const written = await queryOne<{ rules: string; allocated: string; audits: string }>(
      database.db,
      sql`SELECT (SELECT count(*) FROM docking_restock_rules WHERE listing_product_id IN (${supplyId}, ${listingId}))::text AS rules,
                 (SELECT count(*) FROM keys WHERE product_id = ${supplyId} AND allocated_product_id IS NOT NULL)::text AS allocated,
                 (SELECT count(*) FROM audit_log WHERE action = 'docking.restock_rule' AND subject IN (${`product:${listingId}`}, ${`product:${supplyId}`}))::text AS audits`,
    );
    expect(written).to.deep.equal({ rules: "0", allocated: "0", audits: "0" });
  });
});
