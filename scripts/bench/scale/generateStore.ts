// A store of a given size for bench:scale, built in bulk SQL (generate_series): `shops` shops of
// 5 products each, batches of 10,000 keys, `keys` keys of which `orders` are sold to as many
// fulfilled orders spread over the last 365 days. The generated keys and orders are loaded as
// pg_restore would (bulkLoad.ts: no triggers, plain indexes built afterwards, several sessions
// in parallel); what the triggers keep (product stock, batch counts, sales rollups, commitment
// look-ups) is then added set-wise, one statement a table, and every rollup compared with a
// recount of the rows. Hashes are SHA-256 of the row number (unique, 32 bytes), not
// real commitments: no route the benchmark measures recomputes them. A few real keys per shop
// are imported through the import job itself (`probes`), so verify-by-key finds them by their
// keyed dedupe hash and builds their certificates.
import { createImport, runImport } from "../../../api/keys/importKeys.ts";
import type { MasterKeyRing } from "../../../api/keys/masterKeys.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { createTestShop, makeSecrets, testChain } from "../../../test/keys/fixtures.ts";
import { onSessions, withBulkLoad } from "./bulkLoad.ts";

export type StoreSize = { shops: number; keys: number; orders: number };
export type GeneratedStore = { shopIds: bigint[]; productIds: bigint[]; probeSecrets: string[]; generateMs: number };

const keysPerBatch = 10_000;
const productsPerShop = 5;
// Rows per statement: the triggers' transition tables hold one statement's rows.
const rowsPerStatement = 500_000;

/** `sessions`: one-connection pools on the same database as `db`, loading in parallel. */
export async function generateStore(
  db: Drizzle,
  sessions: readonly Drizzle[],
  ring: MasterKeyRing,
  size: StoreSize,
  log: (line: string) => void,
): Promise<GeneratedStore> {
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
          -- Released (migration 1570): the generated keys are for sale, as the rollups below count them.
          INSERT INTO batches (shop_id, product_id, key_count, root, chain_id, registry_address, keys_released_at)
          SELECT (${shopsOfProducts})[1 + b % ${productIds.length}], (${products})[1 + b % ${productIds.length}],
                 least(${keysPerBatch}, ${size.keys} - b * ${keysPerBatch}), sha256(int8send(b) || '\\x62'::bytea), ${testChain.chainId}, ${testChain.registry}, now()
          FROM generate_series(0, ${batchCount - 1}) b ORDER BY b RETURNING id)
        SELECT min(id) AS id FROM inserted`,
  );
  const batchBase = BigInt(firstBatch!.id);
  log(`generated_batches=${batchCount}`);

  // Orders first (a sold key names its order): order j sells key j, fulfilled on one of the last 365 days.
  const ordersOf = (start: number, end: number) => (session: Drizzle) =>
    session.execute(sql`INSERT INTO orders (id, shop_id, product_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at,
                                             paid_at, fulfilled_at, contact, query_password_hash, created_at)
      SELECT 'KLG' || lpad(j::text, 10, '0'), (${shopsOfProducts})[1 + ((j - 1) / ${keysPerBatch}) % ${productIds.length}],
             (${products})[1 + ((j - 1) / ${keysPerBatch}) % ${productIds.length}], 1, 1000, 1000, 'CNY', 'fulfilled',
             now() - make_interval(days => (j % 365)::int), now() - make_interval(days => (j % 365)::int), now() - make_interval(days => (j % 365)::int),
             'buyer@example.test', '\\x00'::bytea, now() - make_interval(days => (j % 365)::int)
      FROM generate_series(${start}::bigint, ${end}::bigint) j`);

  const keysOf = (start: number, end: number) => (session: Drizzle) =>
    session
      .execute(sql`INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id, sold_at)
      SELECT (${shopsOfProducts})[1 + ((i - 1) / ${keysPerBatch}) % ${productIds.length}], (${products})[1 + ((i - 1) / ${keysPerBatch}) % ${productIds.length}],
             ${batchBase} + (i - 1) / ${keysPerBatch}, ((i - 1) % ${keysPerBatch})::int,
             sha256(int8send(i) || '\\x65'::bytea), sha256(int8send(i) || '\\x64'::bytea), sha256(int8send(i) || '\\x73'::bytea),
             sha256(int8send(i) || '\\x63'::bytea), sha256(int8send(i) || '\\x6c'::bytea), ARRAY[]::bytea[],
             CASE WHEN i <= ${size.orders} THEN 'sold' ELSE 'available' END,
             CASE WHEN i <= ${size.orders} THEN 'KLG' || lpad(i::text, 10, '0') END,
             CASE WHEN i <= ${size.orders} THEN now() END
      FROM generate_series(${start}::bigint, ${end}::bigint) i`)
      .then(() => log(`generated_keys=${start}..${end}`));
  const firstKey = await queryOne<{ id: bigint }>(db, sql`SELECT coalesce(max(id), 0) + 1 AS id FROM keys`);
  const jobs: ((session: Drizzle) => Promise<unknown>)[] = [];
  for (let start = 1; start <= size.orders; start += rowsPerStatement) jobs.push(ordersOf(start, Math.min(size.orders, start + rowsPerStatement - 1)));
  for (let start = 1; start <= size.keys; start += rowsPerStatement) jobs.push(keysOf(start, Math.min(size.keys, start + rowsPerStatement - 1)));
  await withBulkLoad(db, sessions, ["keys", "orders"], () => onSessions(sessions, jobs));
  log(`generated_rows_s=${((performance.now() - started) / 1000).toFixed(1)}`);
  await addRollups(db, BigInt(firstKey!.id));
  await checkRollups(db);
  log(`generated_rollups_checked_s=${((performance.now() - started) / 1000).toFixed(1)}`);
  await db.execute(sql`ANALYZE`);
  const counted = await queryRows<{ keys: string; orders: string }>(
    db,
    sql`SELECT (SELECT count(*) FROM keys)::text AS keys, (SELECT count(*) FROM orders)::text AS orders`,
  );
  log(`generated_store keys=${counted[0]!.keys} orders=${counted[0]!.orders}`);
  return { shopIds, productIds, probeSecrets, generateMs: performance.now() - started };
}

/** What the keys' and orders' triggers would have added for the generated rows, one statement a table. */
async function addRollups(db: Drizzle, firstKey: bigint): Promise<void> {
  await db.execute(sql`SET work_mem = '256MB'`);
  await db.execute(sql`
    INSERT INTO product_stock AS s (product_id, available, pending)
    SELECT product_id, count(*) FILTER (WHERE status = 'available'), count(*) FILTER (WHERE status = 'pending')
    FROM keys WHERE id >= ${firstKey} GROUP BY product_id ORDER BY product_id
    ON CONFLICT (product_id) DO UPDATE SET available = s.available + EXCLUDED.available, pending = s.pending + EXCLUDED.pending`);
  await db.execute(sql`
    INSERT INTO batch_stock AS s (batch_id, available, sold)
    SELECT batch_id, count(*) FILTER (WHERE status = 'available'), count(*) FILTER (WHERE status = 'sold')
    FROM keys WHERE id >= ${firstKey} GROUP BY batch_id ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET available = s.available + EXCLUDED.available, sold = s.sold + EXCLUDED.sold`);
  await db.execute(sql`
    INSERT INTO key_commitments (commitment, batch_id, leaf_index)
    SELECT commitment, batch_id, leaf_index FROM keys WHERE id >= ${firstKey} ORDER BY commitment
    ON CONFLICT (commitment) DO NOTHING`);
  await db.execute(sql`
    INSERT INTO sales_daily AS s (shop_id, day, product_id, currency, orders, units, revenue)
    SELECT shop_id, (fulfilled_at AT TIME ZONE 'UTC')::date, product_id, currency, count(*), sum(quantity), sum(amount_minor)
    FROM orders WHERE id LIKE 'KLG%' AND state = 'fulfilled' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (shop_id, day, product_id, currency) DO UPDATE
      SET orders = s.orders + EXCLUDED.orders, units = s.units + EXCLUDED.units, revenue = s.revenue + EXCLUDED.revenue`);
  await db.execute(sql`RESET work_mem`);
}

/** Every rollup equals a recount of all rows (the probe keys' counts came from the triggers, the rest from addRollups). */
async function checkRollups(db: Drizzle): Promise<void> {
  const differences = await queryOne<{ stock: string; batches: string; sales: string; commitments: string }>(
    db,
    sql`SELECT
          (SELECT count(*) FROM product_stock s FULL JOIN (
              SELECT product_id, count(*) FILTER (WHERE status = 'available') AS available, count(*) FILTER (WHERE status = 'pending') AS pending
              FROM keys GROUP BY product_id) r USING (product_id)
            WHERE (coalesce(s.available, 0), coalesce(s.pending, 0)) IS DISTINCT FROM (coalesce(r.available, 0), coalesce(r.pending, 0)))::text AS stock,
          (SELECT count(*) FROM batch_stock s FULL JOIN (
              SELECT batch_id, count(*) FILTER (WHERE status = 'available') AS available, count(*) FILTER (WHERE status = 'sold') AS sold
              FROM keys GROUP BY batch_id) r USING (batch_id)
            WHERE (coalesce(s.available, 0), coalesce(s.sold, 0)) IS DISTINCT FROM (coalesce(r.available, 0), coalesce(r.sold, 0)))::text AS batches,
          (SELECT count(*) FROM sales_daily s FULL JOIN (
              SELECT shop_id, (fulfilled_at AT TIME ZONE 'UTC')::date AS day, product_id, currency, count(*) AS orders, sum(quantity) AS units, sum(amount_minor) AS revenue
              FROM orders WHERE state = 'fulfilled' AND fulfilled_at IS NOT NULL GROUP BY 1, 2, 3, 4) r USING (shop_id, day, product_id, currency)
            WHERE (coalesce(s.orders, 0), coalesce(s.units, 0), coalesce(s.revenue, 0)) IS DISTINCT FROM (coalesce(r.orders, 0), coalesce(r.units, 0), coalesce(r.revenue, 0)))::text AS sales,
          ((SELECT count(*) FROM keys) - (SELECT count(*) FROM key_commitments))::text AS commitments`,
  );
  const { stock, batches, sales, commitments } = differences!;
  if ([stock, batches, sales, commitments].some((count) => count !== "0"))
    throw new Error(
      `rollups differ from recounts: product_stock ${stock} rows, batch_stock ${batches}, sales_daily ${sales}, key_commitments short by ${commitments}`,
    );
}
