// Measures one import of 100,000 keys end to end on the real PostgreSQL server: the request
// step (parse, shop duplicate check, encrypted upload) and the job (dedupe, encryption,
// commitments, tree, proofs, chunked inserts). Run: node test/keys/importBenchmark.ts [count]
// Prints name=value lines, the figures last. Not a mocha suite: it takes tens of seconds.
import { createImport, runImport } from "../../api/keys/importKeys.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { createServerDatabase } from "../support/database.ts";
import { createTestShop, makeSecrets, testChain, testRing } from "./fixtures.ts";

const count = Number(process.argv[2] ?? 100_000);
const database = await createServerDatabase();
try {
  const ring = testRing();
  const shop = await createTestShop(database.db, ring);
  const content = makeSecrets(count).join("\n");
  console.log(`keys=${count}`);
  console.log(`upload_bytes=${Buffer.byteLength(content)}`);
  const started = performance.now();
  const { importId } = await createImport(database.db, ring, { ...shop, format: "text", content, limits: { keysMax: count, keyLengthMax: 512 } });
  const created = performance.now();
  const { keyCount } = await runImport(database.db, ring, testChain, importId);
  const finished = performance.now();
  const stored = await queryOne<{ n: bigint }>(database.db, sql`SELECT count(*) AS n FROM keys WHERE shop_id = ${shop.shopId}`);
  if (Number(stored!.n) !== count || keyCount !== count) throw new Error(`expected ${count} keys, stored ${stored!.n}`);
  console.log(`create_import_ms=${Math.round(created - started)}`);
  console.log(`run_import_ms=${Math.round(finished - created)}`);
  console.log(`import_total_ms=${Math.round(finished - started)}`);
  console.log(`import_keys_per_s=${Math.round(count / ((finished - started) / 1000))}`);
} finally {
  await database.drop();
}
