// Re-sealing delivered keys under their buyers' data keys, many orders in one transaction (the
// fulfilment worker's group commit, api/keys/buyerSeal.ts), against the real PostgreSQL server:
// each order's keys end under its own buyer's key (bound to that buyer), whichever shop sealed them
// and whether the buyer had a key before; a guest's stay under the shop's key; an erased buyer's are
// overwritten; a key resold to someone else before the seal stays put; a second run changes nothing.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { createShopDataKey, decryptSecret, encryptSecret, heldKeyAad, keyAad, unwrapDataKey } from "../../api/keys/envelope.ts";
import { createMasterKeyRing } from "../../api/keys/masterKeys.ts";
import { createBuyerSealBatcher, sealOrdersKeysForBuyers } from "../../api/keys/buyerSeal.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

const ring = createMasterKeyRing({ id: "test-master", key: randomBytes(32) });

describe("buyer sealing in batches (PostgreSQL)", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  const suffix = randomBytes(3).toString("hex");
  let next = 0;

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
  });
  after(async () => {
    await database?.drop();
  });

  const one = async (query: ReturnType<typeof sql>) => BigInt((await queryOne<{ id: string }>(database.db, query))!.id);
  const account = (label: string) =>
    one(sql`INSERT INTO accounts (email, password_hash) VALUES (${`${label}-${suffix}-${next++}@example.com`}, 'x') RETURNING id::text`);

  /** A shop with its own data key (kept here, independently of the code under test), a product and a batch. */
  async function shop(label: string) {
    const owner = await account(`owner-${label}`);
    const wrapped = createShopDataKey(ring);
    const shopId = await one(
      sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id)
          VALUES (${owner}, ${`${label}-${suffix}`}, ${label}, ${wrapped.dataKeyWrapped}, ${wrapped.masterKeyId}) RETURNING id::text`,
    );
    const productId = await one(
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shopId}, 'Card', 'game_card', 1000, 'CNY') RETURNING id::text`,
    );
    const batchId = await one(sql`INSERT INTO batches (shop_id, product_id, key_count) VALUES (${shopId}, ${productId}, 100) RETURNING id::text`);
    return { shopId, productId, batchId, dataKey: unwrapDataKey(ring, wrapped.dataKeyWrapped, wrapped.masterKeyId), leaf: 0 };
  }
  type Shop = Awaited<ReturnType<typeof shop>>;

  async function order(seller: Shop, buyer: bigint | null) {
    const orderId = `KLT${suffix}${next++}`.toUpperCase();
    await database.db.execute(
      sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, contact, query_password_hash, quantity, unit_price_minor, amount_minor,
                              currency, state, payment_method, expires_at, paid_at)
          VALUES (${orderId}, ${seller.shopId}, ${seller.productId}, ${buyer}, ${buyer === null ? `guest-${suffix}@example.com` : null},
                  ${buyer === null ? Buffer.alloc(32) : null}, 1, 1000, 1000, 'CNY', 'fulfilled', 'chain', now(), now())`,
    );
    return orderId;
  }

  /** A key of `stock`'s batch sold to the order, sealed under the stock shop's data key; its code and position. */
  async function deliver(stock: Shop, seller: Shop, orderId: string, owner: bigint | null) {
    const leafIndex = stock.leaf++;
    const code = `CODE-${suffix}-${next++}`;
    const position = { shopId: stock.shopId, batchId: stock.batchId, leafIndex };
    const keyId = await one(
      sql`INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id, sold_at)
          VALUES (${stock.shopId}, ${stock.productId}, ${stock.batchId}, ${leafIndex}, ${encryptSecret(stock.dataKey, code, keyAad(position))},
                  ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, '{}', 'sold', ${orderId}, now()) RETURNING id::text`,
    );
    await database.db.execute(
      sql`INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id, state, revealed_at, redeem_state)
          VALUES (${keyId}, ${orderId}, ${seller.shopId}, ${stock.productId}, ${stock.batchId}, ${owner}, 'redeemed', now(), 'confirmed')`,
    );
    return { keyId, code, position };
  }
  type Delivered = Awaited<ReturnType<typeof deliver>>;

  const keyRow = (keyId: bigint) =>
    queryOne<{ ciphertext: Buffer; sealed_for_account_id: string | null }>(
      database.db,
      sql`SELECT ciphertext, sealed_for_account_id::text FROM keys WHERE id = ${keyId}`,
    ).then((row) => row!);

  /** The buyer's data key as stored, unwrapped here with the ring. */
  async function buyerKeyOf(buyer: bigint): Promise<Buffer> {
    const row = await queryOne<{ data_key_wrapped: Buffer; master_key_id: string }>(
      database.db,
      sql`SELECT data_key_wrapped, master_key_id FROM account_data_keys WHERE account_id = ${buyer}`,
    );
    expect(row, `buyer ${buyer} has a data key`).to.not.equal(undefined);
    return unwrapDataKey(ring, row!.data_key_wrapped, row!.master_key_id);
  }

  async function expectSealedFor(key: Delivered, buyer: bigint) {
    const row = await keyRow(key.keyId);
    expect(row.sealed_for_account_id).to.equal(String(buyer));
    const buyerKey = await buyerKeyOf(buyer);
    expect(decryptSecret(buyerKey, row.ciphertext, heldKeyAad(key.position, buyer))).to.equal(key.code);
    // Bound to its buyer: not under the shop's key any more, nor readable as another holder's.
    expect(() => decryptSecret(buyerKey, row.ciphertext, heldKeyAad(key.position, buyer + 1n))).to.throw();
  }

  it("seals each order's keys for its own buyer in one call, from several shops, once", async () => {
    const seller = await shop("seller");
    const supplier = await shop("supplier");
    const firstTime = await account("first");
    const returning = await account("returning");
    const erased = await account("erased");
    const newOwner = await account("new-owner");
    // A returning buyer already has a data key (from an earlier delivery).
    const earlier = createShopDataKey(ring);
    await database.db.execute(
      sql`INSERT INTO account_data_keys (account_id, data_key_wrapped, master_key_id) VALUES (${returning}, ${earlier.dataKeyWrapped}, ${earlier.masterKeyId})`,
    );
    await database.db.execute(sql`UPDATE accounts SET erased_at = now() WHERE id = ${erased}`);

    // The first-time buyer: two orders in the batch, one of two keys (one of them the supplier's, docked).
    const firstA = await order(seller, firstTime);
    const firstAKeys = [await deliver(seller, seller, firstA, firstTime), await deliver(supplier, seller, firstA, firstTime)];
    const firstB = await order(seller, firstTime);
    const firstBKey = await deliver(seller, seller, firstB, firstTime);
    const returningOrder = await order(seller, returning);
    const returningKey = await deliver(seller, seller, returningOrder, returning);
    // A second key of the same order resold to someone else before the seal ran: left under the shop's key.
    const resoldKey = await deliver(seller, seller, returningOrder, newOwner);
    const guestOrder = await order(seller, null);
    const guestKey = await deliver(seller, seller, guestOrder, null);
    const erasedOrder = await order(seller, erased);
    const erasedKey = await deliver(seller, seller, erasedOrder, erased);
    const guestBefore = await keyRow(guestKey.keyId);
    const resoldBefore = await keyRow(resoldKey.keyId);

    const counts = await sealOrdersKeysForBuyers(database.db, ring, [firstA, guestOrder, firstB, erasedOrder, returningOrder]);
    expect(counts).to.deep.equal([2, 1, 1, 0, 1]);

    for (const key of [...firstAKeys, firstBKey]) await expectSealedFor(key, firstTime);
    await expectSealedFor(returningKey, returning);
    // The returning buyer kept the key they had; the first-time buyer got exactly one.
    expect((await buyerKeyOf(returning)).equals(unwrapDataKey(ring, earlier.dataKeyWrapped, earlier.masterKeyId))).to.equal(true);
    const firstTimeKeys = await queryRows(database.db, sql`SELECT 1 FROM account_data_keys WHERE account_id = ${firstTime}`);
    expect(firstTimeKeys).to.have.length(1);
    // The guest's key is under the guest order's own key (migration 1560), which the shop's no longer opens.
    const guestRow = await queryOne<{ ciphertext: Buffer; sealed_for_order_id: string | null; data_key_wrapped: Buffer; master_key_id: string }>(
      database.db,
      sql`SELECT k.ciphertext, k.sealed_for_order_id, g.data_key_wrapped, g.master_key_id FROM keys k JOIN order_data_keys g ON g.order_id = ${guestOrder}
          WHERE k.id = ${guestKey.keyId}`,
    );
    expect(guestRow!.sealed_for_order_id).to.equal(guestOrder);
    expect(guestRow!.ciphertext.equals(guestBefore.ciphertext)).to.equal(false);
    const guestDataKey = unwrapDataKey(ring, guestRow!.data_key_wrapped, guestRow!.master_key_id);
    expect(decryptSecret(guestDataKey, guestRow!.ciphertext, heldKeyAad(guestKey.position, `order:${guestOrder}`))).to.equal(guestKey.code);
    expect(() => decryptSecret(seller.dataKey, guestRow!.ciphertext, keyAad(guestKey.position))).to.throw();
    // The resold key is untouched, under the shop's key.
    expect((await keyRow(resoldKey.keyId)).ciphertext.equals(resoldBefore.ciphertext)).to.equal(true);
    // The erased buyer's code is overwritten with zeros of the same length, and no key was made for them.
    const erasedRow = await keyRow(erasedKey.keyId);
    expect(erasedRow.sealed_for_account_id).to.equal(null);
    expect(erasedRow.ciphertext.every((byte) => byte === 0)).to.equal(true);
    expect(erasedRow.ciphertext.length).to.be.greaterThan(16);
    expect(await queryRows(database.db, sql`SELECT 1 FROM account_data_keys WHERE account_id = ${erased}`)).to.have.length(0);

    // A redelivered batch changes nothing.
    const sealedBefore = await keyRow(firstBKey.keyId);
    expect(await sealOrdersKeysForBuyers(database.db, ring, [firstA, firstB, returningOrder, guestOrder])).to.deep.equal([0, 0, 0, 0]);
    expect((await keyRow(firstBKey.keyId)).ciphertext.equals(sealedBefore.ciphertext)).to.equal(true);
  });

  it("the worker's group commit seals concurrent orders of one first-time buyer under one key, each once", async () => {
    const seller = await shop("batched");
    const buyer = await account("concurrent");
    const orders: { orderId: string; key: Delivered }[] = [];
    for (let index = 0; index < 12; index += 1) {
      const orderId = await order(seller, buyer);
      orders.push({ orderId, key: await deliver(seller, seller, orderId, buyer) });
    }
    const batcher = createBuyerSealBatcher(database.db, ring, { batchSizeMax: 5, flushesInFlightMax: 2 });
    // Each order twice at once (a redelivered job): every key sealed exactly once.
    const answers = await Promise.all([...orders, ...orders].map(({ orderId }) => batcher.submit(orderId)));
    const sealedPerOrder = new Map<string, number>();
    answers.forEach((answer, index) => {
      const { orderId } = orders[index % orders.length]!;
      sealedPerOrder.set(orderId, (sealedPerOrder.get(orderId) ?? 0) + (answer ?? 0));
    });
    expect([...sealedPerOrder.values()]).to.deep.equal(orders.map(() => 1));
    expect(batcher.stats().batches).to.be.greaterThan(1);
    for (const { key } of orders) await expectSealedFor(key, buyer);
    expect(await queryRows(database.db, sql`SELECT 1 FROM account_data_keys WHERE account_id = ${buyer}`)).to.have.length(1);
  });
});
