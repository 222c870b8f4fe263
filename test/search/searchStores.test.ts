// The search's SQL on both stores: PostgreSQL 15 (Debian's, pg_trgm from contrib) and embedded
// PGlite (pg_trgm from its contrib bundle, loaded by core/store/database.ts). The same rows give
// the same answers, and on the server a two-character Chinese query is answered by the bigram
// index rather than by reading every product.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { queryRows, sql } from "../../core/store/database.ts";
import { searchCatalogue } from "../../api/services/search/searchCatalogue.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";

const names = ["王者荣耀点券 60元", "和平精英 UC 礼包", "Netflix Premium 1 month", "Spotify Family"];

for (const [label, create] of [
  ["PostgreSQL server", createServerDatabase],
  ["PGlite", createPgliteDatabase],
] as const) {
  describe(`search on ${label}`, function () {
    this.timeout(120_000);
    let database: TestDatabase;
    const ids = new Map<string, string>();

    before(async () => {
      database = await create();
      const db = database.db;
      const [owner] = await queryRows<{ id: bigint }>(db, sql`INSERT INTO accounts (email, password_hash) VALUES ('owner@example.com', 'x') RETURNING id`);
      const [shop] = await queryRows<{ id: bigint }>(
        db,
        sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id)
            VALUES (${owner!.id}, 'store-test', '游戏小铺 Game Corner', ${randomBytes(60)}, 'k1') RETURNING id`,
      );
      for (const name of names) {
        const [row] = await queryRows<{ id: bigint }>(
          db,
          sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shop!.id}, ${name}, 'game_card', 1000, 'CNY') RETURNING id`,
        );
        ids.set(name, String(row!.id));
      }
    });
    after(async () => {
      await database?.drop();
    });

    const found = async (query: string) => (await searchCatalogue(database.db, { query, productsMax: 10, shopsMax: 5 })).products.map((hit) => hit.id);

    it("finds a Chinese product by two characters and an English one through a typo", async () => {
      expect(await found("荣耀")).to.deep.equal([ids.get(names[0]!)]);
      expect(await found("精英")).to.deep.equal([ids.get(names[1]!)]);
      expect(await found("netflx")).to.deep.equal([ids.get(names[2]!)]);
      expect(await found("spotfy famly")).to.deep.equal([ids.get(names[3]!)]);
      expect(await found("荣精")).to.deep.equal([]);
      const shops = await searchCatalogue(database.db, { query: "小铺", productsMax: 10, shopsMax: 5 });
      expect(shops.shops.map((shop) => shop.name)).to.deep.equal(["游戏小铺 Game Corner"]);
    });

    it("stores the bigrams the index holds, computed as written in the docs", async () => {
      const [row] = await queryRows<{ search_bigrams: string[] }>(database.db, sql`SELECT search_bigrams FROM products WHERE id = ${ids.get(names[1]!)}`);
      // 和平精英 UC 礼包, normalised "和平精英 uc 礼包": windows without white space, by hand.
      expect([...row!.search_bigrams].sort()).to.deep.equal(["和平", "平精", "精英", "uc", "礼包"].sort());
    });

    if (label === "PostgreSQL server") {
      it("answers a two-character query through the bigram index", async () => {
        const plan = await database.db.transaction(async (tx) => {
          // Four rows would be read whole anyway; the plan the index allows is what is checked.
          await tx.execute(sql`SET LOCAL enable_seqscan = off`);
          return queryRows<{ "QUERY PLAN": string }>(
            tx,
            sql`EXPLAIN SELECT id FROM products WHERE search_bigrams @> search_bigrams('荣耀') AND strpos(search_text, '荣耀') > 0`,
          );
        });
        expect(plan.map((line) => line["QUERY PLAN"]).join("\n")).to.contain("products_search_bigrams_idx");
      });
    }
  });
}
