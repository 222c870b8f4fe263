// `npm run bench:import`: one import of 100,000 keys (BENCH_IMPORT_KEYS) end to end on the real
// PostgreSQL server and a local chain: the request step (parse, shop duplicate check, encrypted
// upload), the job (parse, dedupe, encryption, commitments, tree, proofs, COPY of the keys)
// and the anchor (the root on-chain, the batch's keys released for sale), timed from the upload to the
// batch 'included'. Prints import_keys_per_s and import_peak_rss_mb (this process's maximum
// resident set, which holds the whole import) last; before them the CPU per key of this
// process and of the PostgreSQL backends of the benchmark's database (from /proc, so the
// machine's other load does not count), and the time of each step.
import type { Hex } from "viem";
import { createChainContext } from "../../api/chain/chainContext.ts";
import { anchorBatch } from "../../api/chain/anchorBatch.ts";
import { createImport, runImport } from "../../api/keys/importKeys.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { createServerDatabase } from "../../test/support/database.ts";
import { createTestShop, makeSecrets, testRing } from "../../test/keys/fixtures.ts";
import { deployToRpc } from "../../api/chain/deployToRpc.ts";
import { localChainAccounts, startLocalChain } from "../lib/localChain.ts";
import { startCpuReading } from "./sale/cpuByProcess.ts";

const count = Number(process.env.BENCH_IMPORT_KEYS ?? 100_000);

const chain = await startLocalChain();
const database = await createServerDatabase({ poolSizeMax: 4 });
try {
  const deployment = await deployToRpc({ rpcUrl: chain.rpcUrl, deployerKey: localChainAccounts.deployer as Hex });
  const chainContext = await createChainContext({
    rpcUrl: chain.rpcUrl,
    addresses: { registry: deployment.contracts.registry as Hex, entitlement: deployment.contracts.entitlement as Hex },
    operatorKey: localChainAccounts.deployer as Hex,
  });
  const ring = testRing();
  const shop = await createTestShop(database.db, ring);
  const content = makeSecrets(count).join("\n");
  console.log(`import_keys=${count}`);
  console.log(`import_upload_bytes=${Buffer.byteLength(content)}`);

  // The backends of this database, named for the CPU reading: the pool opens them on demand,
  // so they are listed again at the end.
  const backends = async (): Promise<Map<number, string>> => {
    const rows = await database.db.execute(sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
    return new Map((rows as unknown as { rows: { pid: number }[] }).rows.map((row) => [Number(row.pid), "import"]));
  };
  await backends();
  const roles = { bench: process.pid, chain: chain.process.pid! };
  const cpu = startCpuReading(roles);
  // Each step's CPU too (this process and the database's backends), to tell where it goes.
  const stepCpu: string[] = [];
  const step = async <Result>(name: string, work: () => Promise<Result>): Promise<Result> => {
    const reading = startCpuReading(roles);
    const result = await work();
    const perKey = reading.finish(count, await backends());
    stepCpu.push(`import_cpu_us_per_key_${name}=${(((perKey.bench ?? 0) + (perKey.postgres_import ?? 0)) * 1000).toFixed(1)}`);
    return result;
  };
  const started = performance.now();
  const { importId } = await step("create", () =>
    createImport(database.db, ring, { ...shop, format: "text", content, limits: { keysMax: count, keyLengthMax: 512 } }),
  );
  const created = performance.now();
  const { batchId, keyCount } = await step("run", () =>
    runImport(database.db, ring, { chainId: chainContext.chainId, registry: chainContext.addresses.registry }, importId),
  );
  const ran = performance.now();
  const outcome = await step("anchor", () => anchorBatch(database.db, chainContext, batchId));
  const finished = performance.now();
  const perKey = cpu.finish(count, await backends());

  const stored = await queryOne<{ n: bigint; available: bigint }>(
    database.db,
    // For sale: 'available' in a released batch (migration 1570).
    sql`SELECT count(*) AS n, count(*) FILTER (WHERE k.status = 'available' AND b.keys_released_at IS NOT NULL) AS available
        FROM keys k JOIN batches b ON b.id = k.batch_id WHERE k.batch_id = ${batchId}`,
  );
  if (outcome !== "included" || keyCount !== count || Number(stored!.n) !== count || Number(stored!.available) !== count) {
    throw new Error(`expected ${count} available keys in an included batch: ${outcome}, ${keyCount}, ${stored!.n}, ${stored!.available}`);
  }
  console.log(`import_create_ms=${Math.round(created - started)}`);
  console.log(`import_run_ms=${Math.round(ran - created)}`);
  console.log(`import_anchor_ms=${Math.round(finished - ran)}`);
  console.log(`import_total_ms=${Math.round(finished - started)}`);
  console.log(`import_cpu_us_per_key_bench=${((perKey.bench ?? 0) * 1000).toFixed(1)}`);
  console.log(`import_cpu_us_per_key_postgres=${((perKey.postgres_import ?? 0) * 1000).toFixed(1)}`);
  for (const line of stepCpu) console.log(line);
  console.log(`import_cpu_us_per_key_chain=${((perKey.chain ?? 0) * 1000).toFixed(1)}`);
  console.log(`load_average_1m=${(await import("node:os")).loadavg()[0]!.toFixed(1)}`);
  console.log(`import_keys_per_s=${Math.round(count / ((finished - started) / 1000))}`);
  console.log(`import_peak_rss_mb=${Math.round(process.resourceUsage().maxRSS / 1024)}`);
} finally {
  await database.drop();
  await chain.stop();
}
// viem's keep-alive sockets would hold the process open.
process.exit(0);
