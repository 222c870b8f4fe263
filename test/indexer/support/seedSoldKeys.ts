// Sold keys seeded straight into the database, with the indexer's chain records that agree with
// them (an anchor per batch, issuances of up to 100 tokens, a final checkpoint), in bulk SQL
// statements instead of through a chain: reconciliation's tests and bench:reconcile need a
// history of 20,000 to 100,000 sales that reconciles to nothing, in seconds. Leaves, roots and
// proofs are the real ones (core/keys/batchMerkle.ts), so the cryptographic checks run in full.
import { randomBytes } from "node:crypto";
import { toHex, type Hex } from "viem";
import { buildTreeNodes, leafHashBytes, proofOf } from "../../../core/keys/batchMerkle.ts";
import type { SqlSession } from "../../../indexer/store/session.ts";
import { sql } from "../../../indexer/store/sql.ts";

export type SeedShop = { shopId: bigint; productId: bigint; accountId: bigint };
export type SeededBatch = { batchId: bigint; keyIds: bigint[]; entitlementIds: bigint[]; firstTokenId: bigint; block: bigint };

// Tokens per EntitlementsIssued record, as the chain writer's ISSUE_BATCH_SIZE_MAX default.
const tokensPerIssuance = 100;
// Keys per INSERT: bounds one statement's parameters.
const rowsPerInsert = 2_000;

export async function seedShop(session: SqlSession): Promise<SeedShop> {
  const suffix = randomBytes(4).toString("hex");
  const one = async (statement: ReturnType<typeof sql>) => (await session.query<{ id: string }>(statement)).rows[0]!.id;
  const accountId = await one(
    sql`INSERT INTO accounts (email, password_hash, roles) VALUES (${`seed-${suffix}@example.test`}, 'x', ARRAY['merchant']) RETURNING id::text`,
  );
  const shopId = await one(
    sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id) VALUES (${accountId}, ${`seed-${suffix}`}, 'Seed', '\\x00', 'k1') RETURNING id::text`,
  );
  const productId = await one(
    sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shopId}, 'Card', 'game_card', 100, 'CNY') RETURNING id::text`,
  );
  return { shopId: BigInt(shopId), productId: BigInt(productId), accountId: BigInt(accountId) };
}

/**
 * One batch of `keyCount` keys, every one sold and issued: the batch anchored at `block`, the
 * tokens `firstTokenId`.. issued in the same block, and the checkpoint made final past it.
 */
export async function seedSoldBatch(
  session: SqlSession,
  shop: SeedShop,
  parameters: { chainId: number; registry: Hex; keyCount: number; firstTokenId: bigint; block: bigint },
): Promise<SeededBatch> {
  const { chainId, registry, keyCount, firstTokenId, block } = parameters;
  const { rows: batchRows } = await session.query<{ id: string }>(
    sql`INSERT INTO batches (shop_id, product_id, key_count, anchor_state) VALUES (${shop.shopId}, ${shop.productId}, ${keyCount}, 'pending') RETURNING id::text`,
  );
  const batchId = BigInt(batchRows[0]!.id);
  const commitments = Array.from({ length: keyCount }, () => randomBytes(32));
  const leaves = commitments.map((commitment, leafIndex) =>
    leafHashBytes({ chainId: BigInt(chainId), registry, shopId: shop.shopId, batchId, leafIndex, commitment: toHex(commitment) }),
  );
  const nodes = await buildTreeNodes(leaves);
  const root = toHex(nodes[0]!);
  const anchorTx = toHex(randomBytes(32));
  const orderId = `ord_seed_${batchId}`;
  await session.query(
    sql`UPDATE batches SET root = decode(${root.slice(2)}, 'hex'), anchor_state = 'confirmed', anchor_tx = ${anchorTx}, anchor_block = ${block}, chain_id = ${chainId}, registry_address = ${registry} WHERE id = ${batchId}`,
  );
  await session.query(
    sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at)
        VALUES (${orderId}, ${shop.shopId}, ${shop.productId}, ${shop.accountId}, ${keyCount}, 100, ${100 * keyCount}, 'CNY', 'fulfilled', now())`,
  );
  const keyIds: bigint[] = [];
  const entitlementIds: bigint[] = [];
  for (let start = 0; start < keyCount; start += rowsPerInsert) {
    const indexes = Array.from({ length: Math.min(rowsPerInsert, keyCount - start) }, (_, offset) => start + offset);
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
    // Each proof travels as its nodes concatenated and is cut back into 32-byte nodes in SQL.
    const { rows } = await session.query<{ key_id: string; entitlement_id: string }>(
      sql`WITH input AS (
            SELECT * FROM unnest(${sql.param(indexes)}::int[], ${sql.param(indexes.map((index) => hex(commitments[index]!)))}::text[],
                                 ${sql.param(indexes.map((index) => hex(leaves[index]!)))}::text[],
                                 ${sql.param(indexes.map((index) => proofOf(nodes, keyCount, index).map(hex).join("")))}::text[])
              AS i(leaf_index, commitment, leaf_hash, proof)),
          k AS (
            INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id, sold_at)
            SELECT ${shop.shopId}, ${shop.productId}, ${batchId}, i.leaf_index, '\\x01', decode(md5(random()::text) || md5(random()::text), 'hex'), decode(md5(random()::text) || md5(random()::text), 'hex'), decode(i.commitment, 'hex'),
                   decode(i.leaf_hash, 'hex'),
                   coalesce((SELECT array_agg(decode(substr(i.proof, n * 64 + 1, 64), 'hex') ORDER BY n) FROM generate_series(0, length(i.proof) / 64 - 1) n), '{}'),
                   'sold', ${orderId}, now()
            FROM input i RETURNING id, leaf_index)
          INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id, token_id, issue_state, issue_block)
          SELECT k.id, ${orderId}, ${shop.shopId}, ${shop.productId}, ${batchId}, ${shop.accountId}, ${firstTokenId} + k.leaf_index, 'confirmed', ${block}
          FROM k ORDER BY k.leaf_index RETURNING key_id::text, id::text AS entitlement_id`,
    );
    for (const row of rows) {
      keyIds.push(BigInt(row.key_id));
      entitlementIds.push(BigInt(row.entitlement_id));
    }
  }
  await session.query(
    sql`INSERT INTO chain_batch_anchors (chain_id, block_number, log_index, transaction_hash, batch_id, shop_id, root, key_count, issuer)
        VALUES (${chainId}, ${block}, 0, ${anchorTx}, ${batchId}, ${shop.shopId}, ${root}, ${keyCount}, ${registry.toLowerCase()})`,
  );
  await session.query(
    sql`INSERT INTO chain_issuances (chain_id, block_number, log_index, transaction_hash, batch_id, first_token_id, token_count, leaf_indexes)
        SELECT ${chainId}, ${block}, 1 + g, ${toHex(randomBytes(32))}, ${batchId}, ${firstTokenId} + g * ${tokensPerIssuance},
               least(${tokensPerIssuance}, ${keyCount} - g * ${tokensPerIssuance}),
               ARRAY(SELECT generate_series(g * ${tokensPerIssuance}, least((g + 1) * ${tokensPerIssuance}, ${keyCount}) - 1)::bigint)
        FROM generate_series(0, (${keyCount} - 1) / ${tokensPerIssuance}) g`,
  );
  await session.query(
    sql`INSERT INTO indexer_checkpoints (chain_id, block_number, block_hash, finalized_number) VALUES (${chainId}, ${block + 1n}, ${toHex(randomBytes(32))}, ${block + 1n})
        ON CONFLICT (chain_id) DO UPDATE SET block_number = greatest(indexer_checkpoints.block_number, excluded.block_number),
                                             finalized_number = greatest(indexer_checkpoints.finalized_number, excluded.finalized_number)`,
  );
  return { batchId, keyIds, entitlementIds, firstTokenId, block };
}

/** `keyCount` sold keys in batches of `batchSize`, one block per batch from `firstBlock`. */
export async function seedSoldKeys(
  session: SqlSession,
  parameters: { chainId: number; registry: Hex; keyCount: number; batchSize: number; firstBlock?: bigint; firstTokenId?: bigint },
): Promise<{ shop: SeedShop; batches: SeededBatch[] }> {
  const shop = await seedShop(session);
  const batches: SeededBatch[] = [];
  let tokenId = parameters.firstTokenId ?? 1n;
  let block = parameters.firstBlock ?? 10n;
  for (let seeded = 0; seeded < parameters.keyCount; seeded += parameters.batchSize) {
    const keyCount = Math.min(parameters.batchSize, parameters.keyCount - seeded);
    batches.push(await seedSoldBatch(session, shop, { chainId: parameters.chainId, registry: parameters.registry, keyCount, firstTokenId: tokenId, block }));
    tokenId += BigInt(keyCount);
    block += 1n;
  }
  return { shop, batches };
}
