// The recommendation job's counts (api/services/recommendations/updateRecommendations.ts) against
// a recount made here from the raw signals, without the job's SQL: each account's set of items
// (orders it paid, products it viewed, keys it revealed), n(item) = accounts with the item,
// count(a, b) = accounts with both.
//
// - a fast-check property: random signal sequences, arriving in random phases, counted by runs of
//   random batch sizes; after every phase the incremental counts equal the recount (seeded by
//   KEYLEDGER_TEST_SEED, default 2220; KEYLEDGER_TEST_RUNS runs, default 15). Seen failing with the
//   new-with-new pair rule left out of the job's statement (count(a, b) short for two items an
//   account got in one batch).
// - three runs at once, of different batch sizes, count every pair once (seen failing with the
//   advisory lock taken out: pairs short, "1-2": 4 for 5, as the job's header explains);
// - a signal whose transaction commits after a younger one's is still counted (the horizon);
// - views older than 30 days are deleted by the job, once counted;
// - on PGlite (one session, no other transaction) the same job and reads work.
import { expect } from "chai";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { updateRecommendations } from "../../api/services/recommendations/updateRecommendations.ts";
import { recommendForProduct } from "../../api/services/recommendations/readRecommendations.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";

type Kind = "order" | "view" | "reveal";
type Signal = { kind: Kind; account: number; product: number };
type Counts = { userItems: string[]; itemUsers: Record<string, number>; pairs: Record<string, number> };

const accountsCount = 5;
const productsCount = 6;

/** The counts as defined, from the signals alone. */
function recount(signals: readonly { account: bigint; product: bigint }[]): Counts {
  const itemsOf = new Map<bigint, Set<bigint>>();
  for (const { account, product } of signals) itemsOf.set(account, (itemsOf.get(account) ?? new Set()).add(product));
  const userItems: string[] = [];
  const itemUsers: Record<string, number> = {};
  const pairs: Record<string, number> = {};
  for (const [account, items] of itemsOf) {
    const sorted = [...items].sort((a, b) => (a < b ? -1 : 1));
    for (const item of sorted) {
      userItems.push(`${account}:${item}`);
      itemUsers[String(item)] = (itemUsers[String(item)] ?? 0) + 1;
    }
    for (let i = 0; i < sorted.length; i++)
      for (let j = i + 1; j < sorted.length; j++) pairs[`${sorted[i]}-${sorted[j]}`] = (pairs[`${sorted[i]}-${sorted[j]}`] ?? 0) + 1;
  }
  return { userItems: userItems.sort(), itemUsers, pairs };
}

async function storedCounts(db: Drizzle): Promise<Counts> {
  const userItems = await queryRows<{ key: string }>(db, sql`SELECT account_id || ':' || product_id AS key FROM recommendation_user_items`);
  const itemUsers = await queryRows<{ product_id: bigint; accounts: bigint }>(db, sql`SELECT product_id, accounts FROM item_users`);
  const pairs = await queryRows<{ product_a: bigint; product_b: bigint; accounts: bigint }>(db, sql`SELECT product_a, product_b, accounts FROM item_pairs`);
  return {
    userItems: userItems.map((row) => row.key).sort(),
    itemUsers: Object.fromEntries(itemUsers.map((row) => [String(row.product_id), Number(row.accounts)])),
    pairs: Object.fromEntries(pairs.map((row) => [`${row.product_a}-${row.product_b}`, Number(row.accounts)])),
  };
}

describe("recommendation counts: the incremental job against a recount of the signals", function () {
  this.timeout(300_000);
  let database: TestDatabase;
  let db: Drizzle;
  let shopId: bigint;
  const accounts: bigint[] = [];
  const products: bigint[] = [];
  let serial = 0;

  before(async () => {
    database = await createServerDatabase();
    db = database.db;
    for (let i = 0; i < accountsCount + 1; i++) {
      const row = await queryOne<{ id: bigint }>(db, sql`INSERT INTO accounts (email, password_hash) VALUES (${`recs${i}@example.com`}, 'x') RETURNING id`);
      accounts.push(row!.id);
    }
    const shop = await queryOne<{ id: bigint }>(
      db,
      sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id) VALUES (${accounts[accountsCount]!}, 'recs-shop', 'Recs', ${randomBytes(60)}, 'k1') RETURNING id`,
    );
    shopId = shop!.id;
    for (let i = 0; i < productsCount; i++) {
      const row = await queryOne<{ id: bigint }>(
        db,
        sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shopId}, ${`Product ${i}`}, 'game_card', 100, 'CNY') RETURNING id`,
      );
      products.push(row!.id);
    }
  });
  after(async () => {
    await database?.drop();
  });

  async function reset(): Promise<void> {
    await db.execute(sql`TRUNCATE product_views, recommendation_user_items, item_users, item_pairs, entitlements, keys, batches, orders CASCADE`);
    await db.execute(sql`UPDATE recommendation_progress SET cursor_at = '-infinity', cursor_id = ''`);
  }

  /** Writes one signal as the platform would leave it: a paid order, a view, a revealed entitlement. */
  async function write(signal: { kind: Kind; account: bigint; product: bigint }, at: Date): Promise<void> {
    serial++;
    if (signal.kind === "view") {
      await db.execute(sql`INSERT INTO product_views (account_id, product_id, viewed_at) VALUES (${signal.account}, ${signal.product}, ${at})`);
      return;
    }
    // Order ids are not in time order (as the platform's random ones are not).
    const orderId = `ord-${randomBytes(6).toString("hex")}-${serial}`;
    if (signal.kind === "order") {
      await db.execute(sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at, paid_at)
        VALUES (${orderId}, ${shopId}, ${signal.product}, ${signal.account}, 1, 100, 100, 'CNY', 'paid', ${at}, ${at})`);
      return;
    }
    // A reveal by the key's owner (here bought as a guest, so the order is no signal of the account).
    await db.execute(sql`INSERT INTO orders (id, shop_id, product_id, contact, query_password_hash, quantity, unit_price_minor, amount_minor, currency, state, expires_at)
      VALUES (${orderId}, ${shopId}, ${signal.product}, 'guest@example.com', ${randomBytes(32)}, 1, 100, 100, 'CNY', 'awaiting_payment', ${at})`);
    const batch = await queryOne<{ id: bigint }>(
      db,
      sql`INSERT INTO batches (shop_id, product_id, key_count) VALUES (${shopId}, ${signal.product}, 1) RETURNING id`,
    );
    const key = await queryOne<{ id: bigint }>(
      db,
      sql`INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id)
          VALUES (${shopId}, ${signal.product}, ${batch!.id}, 0, ${randomBytes(8)}, ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, '{}', 'sold', ${orderId})
          RETURNING id`,
    );
    await db.execute(sql`INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id, state, redeem_state, revealed_at)
      VALUES (${key!.id}, ${orderId}, ${shopId}, ${signal.product}, ${batch!.id}, ${signal.account}, 'redeemed', 'pending', ${at})`);
  }

  /** Runs the job until it finds nothing new; returns the signals it read. */
  async function drain(batchSizeMax: number, batchesMax: number): Promise<number> {
    let read = 0;
    for (;;) {
      const result = await updateRecommendations(db, { batchSizeMax, batchesMax, viewRetentionDays: 30 });
      expect(result.skipped).to.equal(undefined);
      read += result.signals;
      if (result.signals === 0) return read;
    }
  }

  const signalArbitrary = fc.record({
    kind: fc.constantFrom<Kind>("order", "view", "reveal"),
    account: fc.integer({ min: 0, max: accountsCount - 1 }),
    product: fc.integer({ min: 0, max: productsCount - 1 }),
    // Seconds after the previous signal: 0 gives signals of the same time (ordered by id).
    gap: fc.integer({ min: 0, max: 1 }),
  });
  const phaseArbitrary = fc.record({
    signals: fc.array(signalArbitrary, { maxLength: 14 }),
    batchSizeMax: fc.integer({ min: 1, max: 5 }),
    batchesMax: fc.integer({ min: 1, max: 3 }),
  });

  it("equals the recount after every phase, whatever the signals and however the job's batches split them", async () => {
    const seed = Number(process.env.KEYLEDGER_TEST_SEED ?? 2220);
    await fc.assert(
      fc.asyncProperty(fc.array(phaseArbitrary, { minLength: 1, maxLength: 4 }), async (phases) => {
        await reset();
        // Signals arrive in time order, as the horizon makes them reach the job (the test below).
        let clock = Date.parse("2026-11-01T00:00:00Z");
        const written: { account: bigint; product: bigint }[] = [];
        let total = 0;
        for (const phase of phases) {
          clock += 1000;
          for (const signal of phase.signals as (Signal & { gap: number })[]) {
            clock += signal.gap * 1000;
            const resolved = { kind: signal.kind, account: accounts[signal.account]!, product: products[signal.product]! };
            await write(resolved, new Date(clock));
            written.push(resolved);
          }
          total += await drain(phase.batchSizeMax, phase.batchesMax);
          expect(await storedCounts(db)).to.deep.equal(recount(written));
        }
        // Every signal was read exactly once over the phases.
        expect(total).to.equal(written.length);
      }),
      { seed, numRuns: Number(process.env.KEYLEDGER_TEST_RUNS ?? 15), endOnFailure: true },
    );
  });

  it("matches counts worked out by hand", async () => {
    await reset();
    const [a, b, c] = accounts as [bigint, bigint, bigint];
    const [p, q, r] = products as [bigint, bigint, bigint];
    let clock = Date.parse("2026-11-02T00:00:00Z");
    // a: p (order), q (view, twice), r (reveal); b: p, q (orders); c: q (view).
    for (const [kind, account, product] of [
      ["order", a, p],
      ["view", a, q],
      ["view", a, q],
      ["reveal", a, r],
      ["order", b, p],
      ["order", b, q],
      ["view", c, q],
    ] as [Kind, bigint, bigint][]) {
      clock += 1000;
      await write({ kind, account, product }, new Date(clock));
    }
    await drain(2, 1);
    const counts = await storedCounts(db);
    expect(counts.itemUsers).to.deep.equal({ [String(p)]: 2, [String(q)]: 3, [String(r)]: 1 });
    // p-q: a and b; p-r: a; q-r: a.
    expect(counts.pairs).to.deep.equal({ [`${p}-${q}`]: 2, [`${p}-${r}`]: 1, [`${q}-${r}`]: 1 });
  });

  it("runs at once, of different batch sizes, count every pair once", async () => {
    await reset();
    const written: { account: bigint; product: bigint }[] = [];
    let clock = Date.parse("2026-11-03T00:00:00Z");
    for (let i = 0; i < 120; i++) {
      const signal = {
        kind: (["order", "view", "reveal"] as const)[i % 3]!,
        account: accounts[(i * 7) % accountsCount]!,
        product: products[(i * 5 + (i >> 3)) % productsCount]!,
      };
      clock += i % 4 === 0 ? 0 : 1000;
      await write(signal, new Date(clock));
      written.push(signal);
    }
    let busy = 0;
    for (;;) {
      // Different batch sizes: without the lock, a run whose page reaches further would pair its
      // new items with the account's items as they were before the other run committed.
      const results = await Promise.all([1, 3, 7].map((batchSizeMax) => updateRecommendations(db, { batchSizeMax, batchesMax: 2, viewRetentionDays: 30 })));
      busy += results.filter((result) => result.skipped === "busy").length;
      if (results.every((result) => result.signals === 0) && results.some((result) => result.skipped === undefined)) break;
    }
    expect((await updateRecommendations(db)).signals).to.equal(0);
    expect(await storedCounts(db)).to.deep.equal(recount(written));
    // The runs did meet: some found the lock held.
    expect(busy).to.be.greaterThan(0);
  });

  it("counts a signal whose transaction commits after a younger signal's", async () => {
    await reset();
    const [a] = accounts as [bigint];
    const [p, q] = products as [bigint, bigint];
    // An older transaction (its now() is earlier) writes a view and stays open...
    const late = new pg.Client({ connectionString: database.url });
    await late.connect();
    try {
      await late.query("BEGIN");
      await late.query("INSERT INTO product_views (account_id, product_id) VALUES ($1, $2)", [a, p]);
      // ...while a younger one commits its view and the job runs.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await db.execute(sql`INSERT INTO product_views (account_id, product_id) VALUES (${a}, ${q})`);
      const first = await updateRecommendations(db, { batchSizeMax: 10, batchesMax: 2, viewRetentionDays: 30 });
      // The younger view is past the horizon (the open transaction's start): not read yet.
      expect(first.signals).to.equal(0);
      await late.query("COMMIT");
    } finally {
      await late.end();
    }
    const second = await updateRecommendations(db, { batchSizeMax: 10, batchesMax: 2, viewRetentionDays: 30 });
    expect(second.signals).to.equal(2);
    expect(await storedCounts(db)).to.deep.equal(
      recount([
        { account: a, product: p },
        { account: a, product: q },
      ]),
    );
  });

  it("deletes views older than the retention and keeps younger ones", async () => {
    await reset();
    const [a] = accounts as [bigint];
    const [p] = products as [bigint];
    const day = 86_400_000;
    await db.execute(sql`INSERT INTO product_views (account_id, product_id, viewed_at) VALUES
      (${a}, ${p}, ${new Date(Date.now() - 31 * day)}), (${a}, ${p}, ${new Date(Date.now() - 29 * day)}), (${a}, ${p}, ${new Date()})`);
    const result = await updateRecommendations(db, { batchSizeMax: 10, batchesMax: 2, viewRetentionDays: 30 });
    expect(result.viewsDeleted).to.equal(1);
    const left = await queryOne<{ count: number }>(db, sql`SELECT count(*)::int AS count FROM product_views`);
    expect(left!.count).to.equal(2);
    // The deleted view had been counted first: the account keeps the item.
    expect((await storedCounts(db)).itemUsers).to.deep.equal({ [String(p)]: 1 });
  });
});

describe("recommendation counts on PGlite (the embedded store of `npm start`)", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  after(async () => {
    await database?.drop();
  });

  it("counts views and paid orders as on the server, and reads a product's list", async () => {
    database = await createPgliteDatabase();
    const db = database.db;
    const ids = async (statement: ReturnType<typeof sql>) => (await queryRows<{ id: bigint }>(db, statement)).map((row) => row.id);
    const [a, b] = await ids(sql`INSERT INTO accounts (email, password_hash) VALUES ('a@example.com', 'x'), ('b@example.com', 'x') RETURNING id`);
    const [shop] = await ids(
      sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id) VALUES (${a!}, 'lite-shop', 'Lite', ${randomBytes(60)}, 'k1') RETURNING id`,
    );
    const [p, q, r] = await ids(
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shop!}, 'P', 'game_card', 1, 'CNY'), (${shop!}, 'Q', 'game_card', 1, 'CNY'), (${shop!}, 'R', 'game_card', 1, 'CNY') RETURNING id`,
    );
    // a: p, q (views); b: p (order), r (view).
    await db.execute(sql`INSERT INTO product_views (account_id, product_id) VALUES (${a!}, ${p!}), (${a!}, ${q!}), (${b!}, ${r!})`);
    await db.execute(sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at, paid_at)
      VALUES ('lite-order', ${shop!}, ${p!}, ${b!}, 1, 1, 1, 'CNY', 'paid', now(), now() - interval '1 second')`);
    const result = await updateRecommendations(db, { batchSizeMax: 2, batchesMax: 5, viewRetentionDays: 30 });
    expect(result.signals).to.equal(4);
    expect(await storedCounts(db)).to.deep.equal(
      recount([
        { account: a!, product: p! },
        { account: a!, product: q! },
        { account: b!, product: r! },
        { account: b!, product: p! },
      ]),
    );
    // p: q and r at 1 / sqrt(2 · 1) each, q first by id.
    const list = await recommendForProduct(db, p!, 5);
    expect(list.items.map((item) => [item.id, item.reason])).to.deep.equal([
      [String(q), "behaviour"],
      [String(r), "behaviour"],
    ]);
    expect(list.items[0]!.score).to.be.closeTo(1 / Math.sqrt(2), 1e-9);
  });
});
