// `npm run bench:scale`: the per-request cost of the routes whose work could grow with history,
// on a large generated store and on one 100 times smaller, in the same run. Each store is built
// in its own database on the PostgreSQL server by scripts/bench/scale/generateStore.ts (keys,
// orders, rollups checked by recounts) and generateJournal.ts (a hash-chained journal with its
// stored subtrees), the two at once on their own sessions. Each route is then called
// BENCH_SCALE_SAMPLES times in turn and its p99 printed, then the ratio large/small as
// `*_growth`; beside them the shared buffers a request's statements touch, which the machine's
// load does not change (`*_buffers_growth`). The ledger proofs go through HTTP (the ledger
// router on a local server, as test/ledger/http.test.ts mounts it) and every proof timed is
// checked against roots computed from the chain by independentLog.ts (RFC 9162, no code shared
// with api/ledger); the other routes' services are called directly (their database work, which
// is what a larger store could make slower).
//
// Sizes: SCALE_KEYS (10,000,000), SCALE_ORDERS (1,000,000), SCALE_JOURNAL (10,000,000) for the
// large store, the small one a hundredth of each; SCALE_SHOPS (10) shops in both (verify-by-key
// costs one HMAC per shop by design, docs/costs.md); SCALE_SESSIONS (3) loading sessions.
import os from "node:os";
import { listBatches } from "../../api/services/shops/batches.ts";
import { salesSummary } from "../../api/services/shops/salesSummary.ts";
import { getListedProduct } from "../../api/services/products/products.ts";
import { findKeyBySecret } from "../../api/services/verify/findKeyBySecret.ts";
import { buildCertificate } from "../../api/keys/certificate.ts";
import { createServerDatabase } from "../../test/support/database.ts";
import { testChain, testRing } from "../../test/keys/fixtures.ts";
import { openDatabase, queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { generateStore } from "./scale/generateStore.ts";
import { generateJournal } from "./scale/generateJournal.ts";
import { consistencyVerifies, inclusionVerifies, scanChain } from "./scale/independentLog.ts";
import { startLedgerServer } from "./scale/ledgerServer.ts";
import type { ConsistencyProofReturnType, InclusionProofReturnType } from "../../api/ledger/proofs.ts";

const large = {
  keys: Number(process.env.SCALE_KEYS ?? 10_000_000),
  orders: Number(process.env.SCALE_ORDERS ?? 1_000_000),
  journal: Number(process.env.SCALE_JOURNAL ?? 10_000_000),
};
const shops = Number(process.env.SCALE_SHOPS ?? 10);
const samples = Number(process.env.BENCH_SCALE_SAMPLES ?? 300);
const sessionCount = Number(process.env.SCALE_SESSIONS ?? 3);
const sizes = {
  small: {
    shops,
    keys: Math.max(1, Math.round(large.keys / 100)),
    orders: Math.round(large.orders / 100),
    journal: Math.max(100, Math.round(large.journal / 100)),
  },
  large: { shops, ...large },
};

/** `count` numbers in [1, max], spread evenly with a fixed odd stride (deterministic, not sorted). */
function spread(count: number, max: number): number[] {
  return Array.from({ length: count }, (_, index) => 1 + ((index * 7_919_993 + 12_345) % max));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * Shared buffers this database's statements touched so far (hits and reads): the measure of a
 * route's database work that the machine's load does not change. The store's one connection
 * flushes its statistics first (PostgreSQL 15 keeps them in the backend up to a second).
 */
async function buffersTouched(db: Drizzle): Promise<number> {
  await db.execute(sql`SELECT pg_stat_force_next_flush()`);
  await db.execute(sql`SELECT pg_stat_clear_snapshot()`);
  const row = await queryOne<{ blocks: string }>(
    db,
    sql`SELECT (blks_hit + blks_read)::text AS blocks FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(row!.blocks);
}

async function timed(db: Drizzle, run: (index: number) => Promise<unknown>): Promise<{ p99: number; buffers: number }> {
  // A few warm-up calls (plans, caches), then the measured ones.
  for (let index = 0; index < 10; index++) await run(index);
  const buffersBefore = await buffersTouched(db);
  const times: number[] = [];
  for (let index = 0; index < samples; index++) {
    const started = performance.now();
    await run(index);
    times.push(performance.now() - started);
  }
  // Includes the few buffers of the readings' own statements, spread over the samples.
  const buffers = ((await buffersTouched(db)) - buffersBefore) / samples;
  // The median beside the p99: on a shared machine the p99 follows the machine's load.
  console.log(
    `scale_sample_buffers_per_request=${buffers.toFixed(1)} scale_sample_p50_ms=${percentile(times, 0.5).toFixed(2)} scale_sample_p99_ms=${percentile(times, 0.99).toFixed(2)} load_average_1m=${os.loadavg()[0]!.toFixed(1)}`,
  );
  return { p99: percentile(times, 0.99), buffers };
}

const routes = [
  "ledger_inclusion_proof",
  "ledger_consistency_proof",
  "verify_by_key",
  "merchant_batches_page",
  "merchant_sales_chart",
  "storefront_product_page",
] as const;
const hexBytes = (text: string) => Buffer.from(text.slice(2), "hex");
const results: Record<string, Record<(typeof routes)[number], { p99: number; buffers: number }>> = {};
for (const [label, size] of Object.entries(sizes)) {
  const database = await createServerDatabase({ poolSizeMax: 1 });
  const sessions = await Promise.all(Array.from({ length: sessionCount + 1 }, () => openDatabase({ url: database.url!, poolSizeMax: 1 })));
  const server = await startLedgerServer(database.url!);
  try {
    const ring = testRing();
    const started = performance.now();
    // The journal on its own session while the store loads on the others.
    const [store] = await Promise.all([
      generateStore(
        database.db,
        sessions.slice(1).map((session) => session.db),
        ring,
        size,
        (line) => console.log(`scale_store=${label} ${line}`),
      ),
      generateJournal(sessions[0]!.db, size.journal, (line) => console.log(`scale_store=${label} ${line}`)),
    ]);
    console.log(
      `scale_store=${label} scale_keys=${size.keys} scale_orders=${size.orders} scale_journal=${size.journal} scale_shops=${size.shops} generate_s=${((performance.now() - started) / 1000).toFixed(1)}`,
    );
    // The proofs asked for, and the roots and leaves to check them with, from the chain itself.
    const inclusionSeqs = spread(samples + 10, size.journal);
    const firstSizes = spread(samples + 10, size.journal);
    const scanStarted = performance.now();
    const independent = await scanChain(database.url!, [...firstSizes, size.journal], inclusionSeqs);
    console.log(`scale_store=${label} independent_chain_scan_s=${((performance.now() - scanStarted) / 1000).toFixed(1)}`);
    const anchoredRoot = independent.roots.get(size.journal)!;
    // Kept and checked after the timing (the check is the client's work, not the route's).
    const inclusionProofs = new Map<number, InclusionProofReturnType>();
    const consistencyProofs = new Map<number, ConsistencyProofReturnType>();
    const chain = { chainId: testChain.chainId, registry: testChain.registry, entitlement: testChain.registry };
    const figures = {
      // Transaction id = seq in the generated journal (generateJournal.ts).
      ledger_inclusion_proof: await timed(database.db, async (index) => {
        const seq = inclusionSeqs[index]!;
        inclusionProofs.set(seq, await server.get<InclusionProofReturnType>(`/api/ledger/proofs/inclusion/${seq}`));
      }),
      ledger_consistency_proof: await timed(database.db, async (index) => {
        const first = firstSizes[index]!;
        consistencyProofs.set(first, await server.get<ConsistencyProofReturnType>(`/api/ledger/proofs/consistency?first=${first}&second=${size.journal}`));
      }),
      verify_by_key: await timed(database.db, async (index) => {
        const found = await findKeyBySecret(database.db, ring, store.probeSecrets[index % store.probeSecrets.length]!);
        if (!found) throw new Error("a probe key was not found");
        await buildCertificate(database.db, found.keyId, chain, "internal");
      }),
      merchant_batches_page: await timed(database.db, (index) => listBatches(database.db, { shopId: store.shopIds[index % store.shopIds.length]!, limit: 50 })),
      merchant_sales_chart: await timed(database.db, (index) =>
        salesSummary(database.db, store.shopIds[index % store.shopIds.length]!, index % 2 === 0 ? 30 : 365),
      ),
      storefront_product_page: await timed(database.db, (index) =>
        getListedProduct(database.db, store.productIds[index % store.productIds.length]!, undefined),
      ),
    };
    let failed = 0;
    for (const [seq, proof] of inclusionProofs) {
      const good =
        proof.treeSize === String(size.journal) &&
        hexBytes(proof.root).equals(anchoredRoot) &&
        inclusionVerifies(independent.leaves.get(seq)!, seq - 1, size.journal, proof.path.map(hexBytes), anchoredRoot);
      if (!good) failed += 1;
    }
    for (const [first, proof] of consistencyProofs)
      if (!consistencyVerifies(first, size.journal, proof.proof.map(hexBytes), independent.roots.get(first)!, anchoredRoot)) failed += 1;
    console.log(`scale_store=${label} ledger_proofs_checked=${inclusionProofs.size + consistencyProofs.size} ledger_proofs_failing=${failed}`);
    if (failed > 0) throw new Error(`bench:scale: ${failed} ledger proofs do not verify against the chain (RFC 9162)`);
    results[label] = figures;
    for (const route of routes)
      console.log(`scale_store=${label} ${route}_p99_ms=${figures[route].p99.toFixed(2)} ${route}_buffers=${figures[route].buffers.toFixed(1)}`);
  } finally {
    await server.close();
    for (const session of sessions) await session.close();
    await database.drop();
  }
}
for (const route of routes) {
  const [small, big] = [results.small![route], results.large![route]];
  console.log(`${route}_buffers_growth=${(big.buffers / small.buffers).toFixed(2)}`);
  console.log(`${route}_p99_ms=${big.p99.toFixed(2)}`);
  console.log(`${route}_growth=${(big.p99 / small.p99).toFixed(2)}`);
}
process.exit(0);
