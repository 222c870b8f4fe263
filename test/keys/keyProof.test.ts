// key_proof (migration 0220): a key's proof read from its batch's stored tree. The reference is
// @openzeppelin/merkle-tree itself: its tree's node array (dump().tree) is stored as the batch's
// nodes, and every proof the function reads must be the library's getProof for that leaf, for
// trees of every shape (one leaf, powers of two, odd counts); leaves outside the tree and
// batches without a stored tree read NULL.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { toHex } from "viem";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { pgConstraint } from "../../core/store/errors.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createTestShop, testRing } from "./fixtures.ts";

async function readProof(db: Drizzle, batchId: bigint, leafIndex: number): Promise<string[] | null> {
  const row = await queryOne<{ proof: Uint8Array[] | null }>(db, sql`SELECT key_proof(${batchId}, ${leafIndex}::integer) AS proof`);
  return row!.proof === null ? null : row!.proof.map((node) => toHex(node));
}

for (const [label, create] of [
  ["PostgreSQL server", createServerDatabase],
  ["PGlite", createPgliteDatabase],
] as const) {
  describe(`keys: proofs read from the batch's stored tree (${label})`, () => {
    let database: TestDatabase;
    let shop: { shopId: bigint; productId: bigint };
    before(async () => {
      database = await create();
      shop = await createTestShop(database.db, testRing());
    });
    after(async () => {
      await database?.drop();
    });

    async function newBatch(keyCount: number): Promise<bigint> {
      const row = await queryOne<{ id: bigint }>(
        database.db,
        sql`INSERT INTO batches (shop_id, product_id, key_count) VALUES (${shop.shopId}, ${shop.productId}, ${keyCount}) RETURNING id`,
      );
      return BigInt(row!.id);
    }

    for (const leafCount of [1, 2, 3, 4, 5, 8, 13, 100]) {
      it(`reads the library's proof of every leaf of a ${leafCount}-leaf tree`, async () => {
        const tree = StandardMerkleTree.of(
          Array.from({ length: leafCount }, (_, index) => [BigInt(index), toHex(randomBytes(32))]),
          ["uint256", "bytes32"],
          { sortLeaves: false },
        );
        const nodes = Buffer.concat(tree.dump().tree.map((node) => Buffer.from(node.slice(2), "hex")));
        const batchId = await newBatch(leafCount);
        await database.db.execute(sql`INSERT INTO batch_trees (batch_id, nodes) VALUES (${batchId}, ${nodes})`);
        for (let index = 0; index < leafCount; index++) {
          expect(await readProof(database.db, batchId, index), `leaf ${index}`).to.deep.equal(tree.getProof(index));
        }
        expect(await readProof(database.db, batchId, leafCount), "past the last leaf").to.equal(null);
        expect(await readProof(database.db, batchId, -1), "a negative index").to.equal(null);
      });
    }

    it("reads NULL for a batch without a stored tree, and refuses nodes that are no whole tree", async () => {
      const batchId = await newBatch(2);
      expect(await readProof(database.db, batchId, 0)).to.equal(null);
      for (const bytes of [0, 31, 64]) {
        const error = await database.db.execute(sql`INSERT INTO batch_trees (batch_id, nodes) VALUES (${batchId}, ${randomBytes(bytes)})`).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(pgConstraint(error), `${bytes} bytes`).to.equal("batch_trees_whole_nodes");
      }
    });
  });
}
