// A store of a given size for bench:scale, built in bulk SQL (generate_series), through the
// tables' own triggers and constraints (stock counts, batch counts, sales rollups, commitment
// look-ups are all kept by the triggers as the rows go in): `shops` shops of 5 products each,
// batches of 10,000 keys, `keys` keys of which `orders` are sold to as many fulfilled orders
// spread over the last 365 days. Hashes are SHA-256 of the row number (unique, 32 bytes), not
// real commitments: no route the benchmark measures recomputes them. A few real keys per shop
// are imported through the import job itself (`probes`), so verify-by-key finds them by their
// keyed dedupe hash and builds their certificates.
import { createImport, runImport } from "../../../api/keys/importKeys.ts";
import type { MasterKeyRing } from "../../../api/keys/masterKeys.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { createTestShop, makeSecrets, testChain } from "../../../test/keys/fixtures.ts";

export type StoreSize = { shops: number; keys: number; orders: number };
export type GeneratedStore = { shopIds: bigint[]; productIds: bigint[]; probeSecrets: string[]; generateMs: number };

const keysPerBatch = 10_000;
const productsPerShop = 5;
// Rows per statement: the triggers' transition tables hold one statement's rows.
const rowsPerStatement = 500_000;

export async function generateStore(db: Drizzle, ring: MasterKeyRing, size: StoreSize, log: (line: string) => void): Promise<GeneratedStore> {
  const started = performance.now();
  const shopIds: bigint[] = [];
  const productIds: bigint[] = [];
  const probeSecrets: string[] = [];
  for (let index = 0; index < size.shops; index++) {
    const shop = await createTestShop(db, ring);
    shopIds.push(shop.shopId);
    productIds.push(shop.productId);
    for (let extra = 1; extra < productsPerShop; extra++) {
      const product = await queryOne<{ id: bigint }>(
        db,
        sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shop.shopId}, ${`Card ${extra}`}, 'game_card', ${1000 + extra * 100}, 'CNY') RETURNING id`,
      );
      productIds.push(BigInt(product!.id));
    }
    // Real keys, imported and then sold, for verify-by-key.
    const secrets = makeSecrets(20);
    const { importId } = await createImport(db, ring, { ...shop, format: "text", content: secrets.join("\n") });
    const { batchId } = await runImport(db, ring, testChain, importId);
    await db.execute(sql`UPDATE keys SET status = 'sold', order_id = 'KLPROBE' || id, sold_at = now() WHERE batch_id = ${batchId}`);
    probeSecrets.push(...secrets);
  }
  const products = sql.raw(`ARRAY[${productIds.join(",")}]::bigint[]`);
  const shopsOfProducts = sql.raw(`ARRAY[${productIds.map((_, index) => shopIds[Math.floor(index / productsPerShop)]).join(",")}]::bigint[]`);

  // Batches: key i (1-based) is leaf (i-1) % 10,000 of batch slot (i-1) / 10,000, and batch slot
  // b belongs to product b % products.
  const batchCount = Math.max(1, Math.ceil(size.keys / keysPerBatch));
  const firstBatch = await queryOne<{ id: bigint }>(
    db,
    sql`WITH inserted AS (
          INSERT INTO batches (shop_id, product_id, key_count, root, chain_id, registry_address)
          SELECT (${shopsOfProducts})[1 + b % ${productIds.length}], (${products})[1 + b % ${productIds.length}],
                 least(${keysPerBatch}, ${size.keys} - b * ${keysPerBatch}), sha256(int8send(b) || '\\x62'::bytea), ${testChain.chainId}, ${testChain.registry}
          FROM generate_series(0, ${batchCount - 1}) b ORDER BY b RETURNING id)
        SELECT min(id) AS id FROM inserted`,
  );
  const batchBase = BigInt(firstBatch!.id);
  log(`generated_batches=${batchCount}`);

  // Orders first (a sold key names its order): order j sells key j, fulfilled on one of the last 365 days.
  for (let start = 1; start <= size.orders; start += rowsPerStatement) {
    const end = Math.min(size.orders, start + rowsPerStatement - 1);
    await db.execute(sql`INSERT INTO orders (id, shop_id, product_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at,
                                             paid_at, fulfilled_at, contact, query_password_hash, created_at)
      SELECT 'KLG' || lpad(j::text, 10, '0'), (${shopsOfProducts})[1 + ((j - 1) / ${keysPerBatch}) % ${productIds.length}],
             (${products})[1 + ((j - 1) / ${keysPerBatch}) % ${productIds.length}], 1, 1000, 1000, 'CNY', 'fulfilled',
             now() - make_interval(days => (j % 365)::int), now() - make_interval(days => (j % 365)::int), now() - make_interval(days => (j % 365)::int),
             'buyer@example.test', '\\x00'::bytea, now() - make_interval(days => (j % 365)::int)
      FROM generate_series(${start}::bigint, ${end}::bigint) j`);
  }
  log(`generated_orders=${size.orders}`);

  for (let start = 1; start <= size.keys; start += rowsPerStatement) {
    const end = Math.min(size.keys, start + rowsPerStatement - 1);
    await db.execute(sql`INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id, sold_at)
      SELECT (${shopsOfProducts})[1 + ((i - 1) / ${keysPerBatch}) % ${productIds.length}], (${products})[1 + ((i - 1) / ${keysPerBatch}) % ${productIds.length}],
             ${batchBase} + (i - 1) / ${keysPerBatch}, ((i - 1) % ${keysPerBatch})::int,
             sha256(int8send(i) || '\\x65'::bytea), sha256(int8send(i) || '\\x64'::bytea), sha256(int8send(i) || '\\x73'::bytea),
             sha256(int8send(i) || '\\x63'::bytea), sha256(int8send(i) || '\\x6c'::bytea), ARRAY[]::bytea[],
             CASE WHEN i <= ${size.orders} THEN 'sold' ELSE 'available' END,
             CASE WHEN i <= ${size.orders} THEN 'KLG' || lpad(i::text, 10, '0') END,
             CASE WHEN i <= ${size.orders} THEN now() END
      FROM generate_series(${start}::bigint, ${end}::bigint) i`);
    log(`generated_keys_so_far=${end}`);
  }
  await db.execute(sql`ANALYZE`);
  const counted = await queryRows<{ keys: string; orders: string }>(
    db,
    sql`SELECT (SELECT count(*) FROM keys)::text AS keys, (SELECT count(*) FROM orders)::text AS orders`,
  );
  log(`generated_store keys=${counted[0]!.keys} orders=${counted[0]!.orders}`);
  return { shopIds, productIds, probeSecrets, generateMs: performance.now() - started };
}
