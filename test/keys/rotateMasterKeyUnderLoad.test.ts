// Master key rotation under load, on the real PostgreSQL server: while imports, new shops and
// sales (checkout, payment, fulfilment, reveal, and the buyer's view that decrypts the code)
// run concurrently, the master key is rotated. Afterwards every shop's data key opens with the
// new master key alone, every stored key decrypts to the code that was imported at its place,
// and every delivery showed its buyer exactly the code imported for the key it sold.
//
// The processes run the new configuration during the rotation (MASTER_KEY the new key, the old
// one in PREVIOUS_MASTER_KEYS), as README's rotation steps say; half of the deliveries use a
// ring of their own (a process that has just started, with nothing cached), so they read the
// shop rows while the rotation rewrites them.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { decryptSecret, keyAad } from "../../api/keys/envelope.ts";
import { createMasterKeyRing, type MasterKeyRing } from "../../api/keys/masterKeys.ts";
import { rotateMasterKey } from "../../api/keys/rotateMasterKey.ts";
import { loadShopDataKey } from "../../api/keys/shopDataKey.ts";
import { acceptExactPayment } from "../../api/services/orders/acceptPayment.ts";
import { createOrder } from "../../api/services/orders/createOrder.ts";
import { fulfilOrder } from "../../api/services/orders/fulfilOrder.ts";
import { getOrderRecord } from "../../api/services/orders/orderRecord.ts";
import { buildOrderView } from "../../api/services/orders/orderView.ts";
import { revealOrderEntitlements } from "../../api/services/orders/revealEntitlements.ts";
import { queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createTestShop, importTestKeys, makeSecrets, type TestShop } from "./fixtures.ts";

// Unpaid-reservation limits are not what this suite tests: lifted.
const orderSettings = {
  expirySeconds: 900,
  quantityMax: 10,
  queryPasswordPepper: "pepper-for-tests",
  merchantFeeCreditMinor: 1_000_000n,
  unpaidHolds: { perContactMax: 10_000, perClientMax: 100_000, shareBps: 10_000, pressureBps: 10_000, pressureExpirySeconds: 900 },
};
const sellersCount = 4;

describe("keys: master key rotation under load", function () {
  this.timeout(180_000);
  let database: TestDatabase;
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const oldRing = createMasterKeyRing({ id: "k1", key: oldKey });
  const newConfiguration = () => createMasterKeyRing({ id: "k2", key: newKey }, [{ id: "k1", key: oldKey }]);
  const shops: TestShop[] = [];
  // The code imported at each place (shop, batch, leaf): the answer every decryption is checked against.
  const imported = new Map<string, string>();
  const place = (shopId: bigint, batchId: bigint, leafIndex: number) => `${shopId}/${batchId}/${leafIndex}`;

  async function importInto(ring: MasterKeyRing, shop: TestShop, count: number): Promise<void> {
    const secrets = makeSecrets(count);
    const { batchId } = await importTestKeys(database.db, ring, shop, secrets);
    for (const [leafIndex, secret] of secrets.entries()) imported.set(place(shop.shopId, batchId, leafIndex), secret);
    // The batch's anchor is what makes its keys sellable; no chain here, so it is marked anchored.
    await database.db.execute(sql`SELECT batch_release_keys(${batchId})`);
  }

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 12 });
    for (let index = 0; index < 4; index++) {
      const shop = await createTestShop(database.db, oldRing);
      shops.push(shop);
      await importInto(oldRing, shop, 120);
    }
  });
  after(async () => {
    await database?.drop();
  });

  it("rotates while keys are imported and sold: every key decrypts under the new master key, every delivery shows the right code", async () => {
    const appRing = newConfiguration();
    const deliveries = { delivered: 0, wrong: [] as string[], failed: [] as string[] };
    let stop = false;

    const sell = async (lane: number, sequence: number) => {
      const shop = shops[(lane + sequence) % 4]!;
      // Every other delivery is made by a process that has just started: nothing cached.
      const ring = sequence % 2 === 0 ? appRing : newConfiguration();
      try {
        const order = await createOrder(database.db, orderSettings, {
          productId: shop.productId,
          quantity: 1,
          buyerAccountId: shop.accountId,
          paymentMethod: "epay",
        });
        const paid = await acceptExactPayment(database.db, {
          orderId: order.id,
          shopId: shop.shopId,
          provider: "epay",
          providerRef: `T-${order.id}`,
          amountMinor: order.amountMinor,
        });
        if (!paid) throw new Error(`payment of ${order.id} not accepted`);
        expect(await fulfilOrder(database.db, order.id, { platformFeeBps: 0 })).to.equal("fulfilled");
        const fulfilled = (await getOrderRecord(database.db, order.id))!;
        await revealOrderEntitlements(database.db, fulfilled);
        const view = await buildOrderView(database.db, ring, fulfilled, "Game card");
        for (const item of view.items) {
          const expected = imported.get(place(shop.shopId, BigInt(item.batchId), item.leafIndex));
          if (item.code !== expected) deliveries.wrong.push(`${order.id}: key ${item.keyId}`);
          else deliveries.delivered++;
        }
      } catch (error) {
        deliveries.failed.push(String(error));
      }
    };
    const sellers = Array.from({ length: sellersCount }, async (_, lane) => {
      for (let sequence = 0; !stop; sequence++) await sell(lane, sequence);
    });
    const importer = (async () => {
      for (let sequence = 0; !stop; sequence++) await importInto(appRing, shops[sequence % 4]!, 20);
    })();
    const shopMaker = (async () => {
      while (!stop) {
        const shop = await createTestShop(database.db, appRing);
        await importInto(appRing, shop, 10);
      }
    })();

    // Load first, then the rotation (its own process: its own ring), then load again.
    while (deliveries.delivered + deliveries.failed.length < 20) await new Promise((resolve) => setTimeout(resolve, 20));
    const rotation = await rotateMasterKey(database.db, newConfiguration());
    const deliveredAtRotation = deliveries.delivered;
    while (deliveries.delivered + deliveries.failed.length < deliveredAtRotation + 20) await new Promise((resolve) => setTimeout(resolve, 20));
    stop = true;
    await Promise.all([...sellers, importer, shopMaker]);

    expect(deliveries.failed).to.deep.equal([]);
    expect(deliveries.wrong).to.deep.equal([]);
    expect(rotation.fromMasterKeyIds.k1).to.be.at.least(4);

    // The old master key can now be retired: everything opens with the new one alone.
    const newOnly = createMasterKeyRing({ id: "k2", key: newKey });
    const { rowsChecked } = await expectEveryKeyDecrypts(newOnly);
    expect(rowsChecked).to.equal(imported.size);
    const underOld = await queryRows<{ id: bigint }>(database.db, sql`SELECT id FROM shops WHERE master_key_id <> 'k2'`);
    expect(underOld).to.deep.equal([]);
  });

  it("neither waits for an import in progress nor makes one wait: the rotation takes no lock a foreign key check conflicts with", async () => {
    // An import's rows (imports, batches, keys) reference their shop: PostgreSQL checks each
    // foreign key with FOR KEY SHARE on the shop row and holds that lock to the commit. The
    // rotation locked every shop FOR UPDATE, which conflicts with it: a rotation waited for every
    // import in flight (an upload of 100,000 keys is one transaction), and meanwhile every import
    // and key write into a shop it had already locked waited for the rotation.
    const client = await database.pool!.connect();
    const shop = shops[0]!;
    try {
      await client.query("BEGIN");
      await client.query("INSERT INTO imports (shop_id, product_id) VALUES ($1, $2)", [shop.shopId, shop.productId]);
      const third = createMasterKeyRing({ id: "k3", key: randomBytes(32) }, [{ id: "k2", key: newKey }]);
      const rotation = rotateMasterKey(database.db, third);
      const outcome = await Promise.race([rotation.then(() => "rotated"), new Promise((resolve) => setTimeout(() => resolve("waiting"), 3_000))]);
      await client.query("ROLLBACK");
      await rotation;
      expect(outcome).to.equal("rotated");
    } finally {
      client.release();
    }
  });

  async function expectEveryKeyDecrypts(ring: MasterKeyRing): Promise<{ rowsChecked: number }> {
    const rows = await queryRows<{ shop_id: bigint; batch_id: bigint; leaf_index: number; ciphertext: Uint8Array }>(
      database.db,
      sql`SELECT shop_id, batch_id, leaf_index, ciphertext FROM keys ORDER BY id`,
    );
    const mismatched: string[] = [];
    for (const row of rows) {
      const position = { shopId: BigInt(row.shop_id), batchId: BigInt(row.batch_id), leafIndex: row.leaf_index };
      const code = decryptSecret(await loadShopDataKey(database.db, ring, position.shopId), row.ciphertext, keyAad(position));
      if (code !== imported.get(place(position.shopId, position.batchId, position.leafIndex)))
        mismatched.push(place(position.shopId, position.batchId, position.leafIndex));
    }
    expect(mismatched).to.deep.equal([]);
    return { rowsChecked: rows.length };
  }
});
