// Finding a sold key by its secret across every shop (each shop hashes keys under its own
// keyed dedupe key): the right shop and key among several, never a key still in stock, and
// nothing for a made-up key or a shop that does not hold it.
import { expect } from "chai";
import { findKeyBySecret } from "../../api/services/verify/findKeyBySecret.ts";
import { queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createShopsWithKeys, testRing, type TestShop } from "../keys/fixtures.ts";

describe("verify: finding a sold key by its secret across shops (PostgreSQL server)", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  const ring = testRing();
  const shops: { shop: TestShop; secrets: string[]; keyIds: bigint[] }[] = [];

  before(async () => {
    database = await createServerDatabase();
    for (const [index, { shop, secrets, batchId }] of (await createShopsWithKeys(database.db, ring, 4, 3)).entries()) {
      // The first two keys of each shop are sold; the third stays in stock.
      await database.db.execute(sql`INSERT INTO orders (id, shop_id, product_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at, contact, query_password_hash)
        VALUES (${`KLFIND${index}AAAA`}, ${shop.shopId}, ${shop.productId}, 2, 1, 2, 'CNY', 'fulfilled', now(), 'b@example.test', 'x')`);
      await database.db.execute(sql`UPDATE keys SET status = 'sold', order_id = ${`KLFIND${index}AAAA`} WHERE batch_id = ${batchId} AND leaf_index < 2`);
      const keys = await queryRows<{ id: bigint }>(database.db, sql`SELECT id FROM keys WHERE batch_id = ${batchId} ORDER BY leaf_index`);
      shops.push({ shop, secrets, keyIds: keys.map((key) => BigInt(key.id)) });
    }
  });
  after(async () => {
    await database?.drop();
  });

  it("finds each sold key in its own shop, with or without the shop named, and nothing else", async () => {
    for (const { shop, secrets, keyIds } of shops) {
      expect(await findKeyBySecret(database.db, ring, secrets[1]!)).to.deep.equal({ keyId: keyIds[1], shopId: shop.shopId });
      // Surrounding whitespace is not part of a key (the dedupe hash normalises it).
      expect(await findKeyBySecret(database.db, ring, `  ${secrets[0]}\n`)).to.deep.equal({ keyId: keyIds[0], shopId: shop.shopId });
      expect(await findKeyBySecret(database.db, ring, secrets[0]!, { shopId: shop.shopId })).to.deep.equal({ keyId: keyIds[0], shopId: shop.shopId });
      expect(await findKeyBySecret(database.db, ring, secrets[2]!), "a key still in stock is never found").to.equal(undefined);
    }
    const [first, second] = shops;
    expect(await findKeyBySecret(database.db, ring, first!.secrets[0]!, { shopId: second!.shop.shopId }), "another shop's key").to.equal(undefined);
    expect(await findKeyBySecret(database.db, ring, "NOT-A-KEY-0000")).to.equal(undefined);
  });
});
