// A small platform on a real chain, indexed: a shop with one batch of four keys whose root is
// anchored, two sold keys with entitlements issued on-chain (token 7 for leaf 1, token 8 for
// leaf 0: ids follow the event, not the key order) and token 8 redeemed (Locked); then enough
// empty blocks that all of it is final, and the indexer run up to the head.
import { randomBytes } from "node:crypto";
import { buildBatchTree, commitmentOf, leafHash, type LeafValues } from "../../../core/keys/leaf.ts";
import type { Database } from "../../../core/store/database.ts";
import { openSession } from "../../../indexer/store/session.ts";
import { sql, type SQL } from "../../../indexer/store/sql.ts";
import type { EmitterSet } from "./emitter.ts";
import { runUntilHead, testOptions } from "./harness.ts";

export type PlatformFixture = { accountId: bigint; shopId: bigint; batchId: bigint; keyIds: bigint[]; commitments: string[]; finalityDepth: number };

export async function buildPlatformFixture(database: Database, emitters: EmitterSet, rpcUrl: string, chainId: number): Promise<PlatformFixture> {
  const session = await openSession(database);
  try {
    const one = async <R>(statement: SQL) => (await session.query<R>(statement)).rows[0]!;
    const account = await one<{ id: bigint }>(
      sql`INSERT INTO accounts (email, password_hash, roles) VALUES ('m@example.test', 'x', ARRAY['merchant','buyer']) RETURNING id`,
    );
    const shop = await one<{ id: bigint }>(
      sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id) VALUES (${account.id}, 'shop-a', 'Shop', '\\x00', 'k1') RETURNING id`,
    );
    const product = await one<{ id: bigint }>(
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shop.id}, 'Card', 'game_card', 1000, 'CNY') RETURNING id`,
    );
    const batch = await one<{ id: bigint }>(
      sql`INSERT INTO batches (shop_id, product_id, key_count, anchor_state) VALUES (${shop.id}, ${product.id}, 4, 'submitted') RETURNING id`,
    );
    const batchId = BigInt(batch.id);
    const salts = Array.from({ length: 4 }, () => randomBytes(32));
    const leaves: LeafValues[] = salts.map((salt, leafIndex) => ({
      chainId: BigInt(chainId),
      registry: emitters.registry,
      shopId: BigInt(shop.id),
      batchId,
      leafIndex,
      commitment: commitmentOf(salt, `SECRET-${leafIndex}`),
    }));
    const tree = buildBatchTree(leaves);
    await session.query(sql`UPDATE batches SET root = decode(${tree.root.slice(2)}, 'hex') WHERE id = ${batchId}`);
    await session.query(
      sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at) VALUES ('ord_a', ${shop.id}, ${product.id}, ${account.id}, 2, 1000, 2000, 'CNY', 'fulfilled', now())`,
    );
    const keyIds: bigint[] = [];
    for (const [index, leaf] of leaves.entries()) {
      const sold = index < 2;
      const key = await one<{ id: bigint }>(
        sql`INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id)
         VALUES (${shop.id}, ${product.id}, ${batchId}, ${index}, '\\x01', ${randomBytes(32)}, ${salts[index]}, ${Buffer.from(leaf.commitment.slice(2), "hex")}, ${Buffer.from(leafHash(leaf).slice(2), "hex")}, ${sql.param(tree.getProof(index).map((node) => Buffer.from(node.slice(2), "hex")))}::bytea[], ${sold ? "sold" : "available"}, ${sold ? "ord_a" : null}) RETURNING id`,
      );
      keyIds.push(BigInt(key.id));
      if (sold) {
        await session.query(
          sql`INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id, issue_state) VALUES (${key.id}, 'ord_a', ${shop.id}, ${product.id}, ${batchId}, ${account.id}, 'submitted')`,
        );
      }
    }
    await emitters.send(emitters.registry, "anchor", [batchId, BigInt(shop.id), tree.root, 4]);
    await emitters.send(emitters.entitlement, "issue", [batchId, 7n, emitters.account, [1, 0]]);
    await emitters.send(emitters.entitlement, "lock", [8n]);
    const finalityDepth = 8;
    for (let block = 0; block <= finalityDepth; block++) await emitters.publicClient.request({ method: "evm_mine" } as never);
    await runUntilHead({
      database,
      chainId,
      rpcUrl,
      emitters,
      options: testOptions({ deploymentBlock: emitters.deploymentBlock, finalityDepth }),
      custodianAddress: emitters.account,
    });
    return { accountId: BigInt(account.id), shopId: BigInt(shop.id), batchId, keyIds, commitments: leaves.map((leaf) => leaf.commitment), finalityDepth };
  } finally {
    await session.close();
  }
}
