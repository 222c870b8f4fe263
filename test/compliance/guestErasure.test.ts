// A guest's data rights against the real PostgreSQL server (docs/compliance.md, "Data rights"):
// the codes delivered to a guest order (no account) are re-sealed under the order's own data key,
// so the shop's key no longer opens them while the guest still reads them on the order page; a
// dispute's replacement key joins them under the same key; the guest's erasure (refused while a
// dispute is open) deletes that key, after which neither the codes, the contact nor the wrapped key
// is found in any column, and the ledger still balances and chains.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { sealOrderKeysForBuyer } from "../../api/keys/buyerSeal.ts";
import { createShopDataKey, decryptSecret, encryptSecret, keyAad, unwrapDataKey } from "../../api/keys/envelope.ts";
import { createMasterKeyRing } from "../../api/keys/masterKeys.ts";
import { loadShopDataKey } from "../../api/keys/shopDataKey.ts";
import { eraseGuestOrder } from "../../api/services/compliance/eraseGuestOrder.ts";
import { getOrderRecord } from "../../api/services/orders/orderRecord.ts";
import { buildOrderView } from "../../api/services/orders/orderView.ts";
import { readEntitlementCode } from "../../api/services/resale/readEntitlementCode.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { craftSale, day } from "./ledgerHistory.ts";
import { expectLedgerAuditsClean, refusal, scanForPersonalData } from "./personalDataScan.ts";

const ring = createMasterKeyRing({ id: "test-master", key: randomBytes(32) });

describe("guest data rights: per-order data keys and the guest's erasure (PostgreSQL)", function () {
  this.timeout(240_000);
  let database: TestDatabase;
  const suffix = randomBytes(3).toString("hex");
  const contact = `guest.li.${suffix}@example.com`;
  const codes = [`GUEST-CODE-${suffix}-A`, `GUEST-CODE-${suffix}-B`];
  const replacementCode = `GUEST-CODE-${suffix}-REPLACED`;
  let shopId: bigint;
  let productId: bigint;
  let batchId: bigint;
  let shopKey: Buffer;
  let orderId: string;
  const delivered: { keyId: bigint; entitlementId: bigint; leafIndex: number }[] = [];
  const one = async (query: ReturnType<typeof sql>) => BigInt((await queryOne<{ id: string }>(database.db, query))!.id);

  /** A key of the shop's batch sold to the guest's order, under the shop's key as fulfilment leaves it. */
  async function deliver(leafIndex: number, secret: string, state = "redeemed") {
    const keyId = await one(
      sql`INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id, sold_at)
          VALUES (${shopId}, ${productId}, ${batchId}, ${leafIndex}, ${encryptSecret(shopKey, secret, keyAad({ shopId, batchId, leafIndex }))},
                  ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, '{}', 'sold', ${orderId}, now()) RETURNING id::text`,
    );
    const entitlementId = await one(
      sql`INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, state, revealed_at, redeem_state)
          VALUES (${keyId}, ${orderId}, ${shopId}, ${productId}, ${batchId}, ${state}, now(), 'confirmed') RETURNING id::text`,
    );
    return { keyId, entitlementId, leafIndex };
  }

  async function orderPageCodes(): Promise<(string | null)[]> {
    const order = await getOrderRecord(database.db, orderId);
    const view = await buildOrderView(database.db, ring, order!, "Card");
    return view.items.filter((item) => item.state !== "revoked").map((item) => item.code);
  }

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
    const owner = await one(sql`INSERT INTO accounts (email, password_hash) VALUES (${`owner-${suffix}@example.com`}, 'x') RETURNING id::text`);
    const wrapped = createShopDataKey(ring);
    shopId = await one(
      sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id)
          VALUES (${owner}, ${`guestshop-${suffix}`}, 'Guest cards', ${wrapped.dataKeyWrapped}, ${wrapped.masterKeyId}) RETURNING id::text`,
    );
    shopKey = await loadShopDataKey(database.db, ring, shopId);
    productId = await one(
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shopId}, 'Card', 'game_card', 1000, 'CNY') RETURNING id::text`,
    );
    await craftSale(database, { shopId, productId }, 2_000n, new Date(Date.now() - day), { contact });
    orderId = (await queryOne<{ id: string }>(database.db, sql`SELECT id FROM orders WHERE shop_id = ${shopId} AND contact = ${contact}`))!.id;
    batchId = await one(sql`INSERT INTO batches (shop_id, product_id, key_count) VALUES (${shopId}, ${productId}, 4) RETURNING id::text`);
    delivered.push(await deliver(0, codes[0]!), await deliver(1, codes[1]!));
  });
  after(async () => {
    await database?.drop();
  });

  it("after fulfilment a guest's codes are under the order's own key: the guest reads them on the order page, the shop's key no longer opens them", async () => {
    expect(await orderPageCodes(), "under the shop's key before the re-seal").to.deep.equal(codes);
    expect(await sealOrderKeysForBuyer(database.db, ring, orderId)).to.equal(2);
    // Once: a redelivered fulfilment job re-seals nothing.
    expect(await sealOrderKeysForBuyer(database.db, ring, orderId)).to.equal(0);
    const keyRows = await queryRows<{ data_key_wrapped: Buffer; master_key_id: string }>(
      database.db,
      sql`SELECT data_key_wrapped, master_key_id FROM order_data_keys WHERE order_id = ${orderId}`,
    );
    expect(keyRows).to.have.length(1);
    const orderKey = unwrapDataKey(ring, keyRows[0]!.data_key_wrapped, keyRows[0]!.master_key_id);
    expect(orderKey.equals(shopKey)).to.equal(false);
    for (const [index, key] of delivered.entries()) {
      const row = await queryOne<{ ciphertext: Buffer; sealed_for_order_id: string | null; sealed_for_account_id: string | null }>(
        database.db,
        sql`SELECT ciphertext, sealed_for_order_id, sealed_for_account_id FROM keys WHERE id = ${key.keyId}`,
      );
      expect([row!.sealed_for_order_id, row!.sealed_for_account_id]).to.deep.equal([orderId, null]);
      const position = { shopId, batchId, leafIndex: key.leafIndex };
      expect(() => decryptSecret(shopKey, row!.ciphertext, keyAad(position)), "the shop's key").to.throw();
      // Opened by hand with the order's key and the associated data the docs give.
      expect(decryptSecret(orderKey, row!.ciphertext, `${keyAad(position)}|holder=order:${orderId}`)).to.equal(codes[index]);
      expect(() => decryptSecret(orderKey, row!.ciphertext, `${keyAad(position)}|holder=order:KLOTHERORDER1`), "bound to the order").to.throw();
    }
    expect(await orderPageCodes()).to.deep.equal(codes);
    expect(await readEntitlementCode(database.db, ring, delivered[0]!.entitlementId)).to.equal(codes[0]);
  });

  it("a dispute's replacement key is sealed under the same order key; erasure is refused while the dispute is open, nothing written", async () => {
    const dispute = await one(
      sql`INSERT INTO disputes (order_id, shop_id, category, statement, escalation_deadline)
          VALUES (${orderId}, ${shopId}, 'key_invalid', ${`the second code is used, write to ${contact}`}, now() + interval '7 days') RETURNING id::text`,
    );
    await database.db.execute(sql`UPDATE entitlements SET state = 'revoked' WHERE id = ${delivered[1]!.entitlementId}`);
    const replacement = await deliver(2, replacementCode);
    expect(await sealOrderKeysForBuyer(database.db, ring, orderId)).to.equal(1);
    expect(await queryRows(database.db, sql`SELECT 1 FROM order_data_keys WHERE order_id = ${orderId}`)).to.have.length(1);
    const row = await queryOne<{ sealed_for_order_id: string }>(database.db, sql`SELECT sealed_for_order_id FROM keys WHERE id = ${replacement.keyId}`);
    expect(row!.sealed_for_order_id).to.equal(orderId);
    delivered.push(replacement);
    expect(await orderPageCodes()).to.deep.equal([codes[0], replacementCode]);

    const refused = await refusal(eraseGuestOrder(database.db, ring, orderId));
    expect([refused.code, refused.details]).to.deep.equal(["erasure_refused", { reason: "dispute_open", id: dispute.toString() }]);
    expect(await queryRows(database.db, sql`SELECT 1 FROM order_data_keys WHERE order_id = ${orderId}`)).to.have.length(1);
    expect(await scanForPersonalData(database, contact)).to.include("orders.contact");
    await database.db.execute(sql`UPDATE disputes SET state = 'resolved', outcome = 'replaced' WHERE id = ${dispute}`);
  });

  it("after the guest's erasure no column holds the codes, the contact or the wrapped key; the ledger audits clean and balances", async () => {
    const wrapped = await queryOne<{ data_key_wrapped: Buffer; master_key_id: string }>(
      database.db,
      sql`SELECT data_key_wrapped, master_key_id FROM order_data_keys WHERE order_id = ${orderId}`,
    );
    const orderKey = unwrapDataKey(ring, wrapped!.data_key_wrapped, wrapped!.master_key_id);
    const result = await eraseGuestOrder(database.db, ring, orderId);
    // Three codes sealed under the order's key (the revoked one too), none left under the shop's.
    expect(result.summary).to.include({ deliveredKeysCryptoShredded: 3, deliveredKeysShredded: 0, disputeStatements: 1 });
    const wrappedHex = wrapped!.data_key_wrapped.toString("hex");
    for (const needle of [contact, ...codes, replacementCode, wrappedHex]) expect(await scanForPersonalData(database, needle), needle).to.deep.equal([]);
    expect(await queryRows(database.db, sql`SELECT 1 FROM order_data_keys`)).to.have.length(0);
    // The platform cannot open them any more; neither can the shop's key; the key kept by this test
    // still does (a copy outside the database, which is exactly what a destroyed wrapped key prevents).
    expect((await refusal(readEntitlementCode(database.db, ring, delivered[0]!.entitlementId))).code).to.equal("not_found");
    const row = await queryOne<{ ciphertext: Buffer }>(database.db, sql`SELECT ciphertext FROM keys WHERE id = ${delivered[0]!.keyId}`);
    expect(() => decryptSecret(shopKey, row!.ciphertext, keyAad({ shopId, batchId, leafIndex: 0 }))).to.throw();
    expect(decryptSecret(orderKey, row!.ciphertext, `${keyAad({ shopId, batchId, leafIndex: 0 })}|holder=order:${orderId}`)).to.equal(codes[0]);
    // Its access is gone: the contact and the query password no longer match, every token is revoked.
    const order = await queryOne<{ contact: string; query_password_hash: Buffer; access_generation: number }>(
      database.db,
      sql`SELECT contact, query_password_hash, access_generation FROM orders WHERE id = ${orderId}`,
    );
    expect([order!.contact, order!.query_password_hash.toString("hex"), order!.access_generation]).to.deep.equal(["erased", "00", 1]);
    // A delivery landing after the erasure (a late fulfilment) is overwritten, never sealed under a new key.
    const late = await deliver(3, `GUEST-CODE-${suffix}-LATE`);
    expect(await sealOrderKeysForBuyer(database.db, ring, orderId)).to.equal(0);
    const lateRow = await queryOne<{ hex: string }>(database.db, sql`SELECT encode(ciphertext, 'hex') AS hex FROM keys WHERE id = ${late.keyId}`);
    expect(lateRow!.hex).to.match(/^(00)+$/);
    expect(await queryRows(database.db, sql`SELECT 1 FROM order_data_keys`)).to.have.length(0);
    // A second request changes nothing.
    expect((await eraseGuestOrder(database.db, ring, orderId)).summary).to.deep.equal({});
    await expectLedgerAuditsClean(database);
  });
});
