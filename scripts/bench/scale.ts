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
// SCALE_PHASE=generate / measure with SCALE_STATE=<file> split the run in two (below).
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import pg from "pg";
import { listBatches } from "../../api/services/shops/batches.ts";
import { salesSummary } from "../../api/services/shops/salesSummary.ts";
import { getListedProduct } from "../../api/services/products/products.ts";
import { findKeyBySecret } from "../../api/services/verify/findKeyBySecret.ts";
import { buildCertificate } from "../../api/keys/certificate.ts";
import { createServerDatabase } from "../../test/support/database.ts";
import { testEnv } from "../../test/support/env.ts";
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

/** A generated store, as the measuring phase needs it: kept in SCALE_STATE between the two phases. */
type StoreState = {
  label: string;
  size: (typeof sizes)[keyof typeof sizes];
  url: string;
  /** The master key the store's shops were created under (a generated test key, never a real one). */
  masterKeyHex: string;
  shopIds: string[];
  productIds: string[];
  probeSecrets: string[];
  inclusionSeqs: number[];
  firstSizes: number[];
  /** The independent scan's roots by tree size and leaves by seq, hex. */
  roots: Record<string, string>;
  leaves: Record<string, string>;
};

/** Builds one store in a new database and reads the chain independently; the database is kept. */
async function generate(label: string, size: StoreState["size"]): Promise<StoreState> {
  const database = await createServerDatabase({ poolSizeMax: 1 });
  const sessions = await Promise.all(Array.from({ length: sessionCount + 1 }, () => openDatabase({ url: database.url!, poolSizeMax: 1 })));
  try {
    const masterKey = randomBytes(32);
    const started = performance.now();
    // The journal on its own session while the store loads on the others.
    const [store] = await Promise.all([
      generateStore(
        database.db,
        sessions.slice(1).map((session) => session.db),
        testRing("test-k1", masterKey),
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
    const hex = (map: Map<number, Buffer>) => Object.fromEntries([...map].map(([key, value]) => [String(key), value.toString("hex")]));
    return {
      label,
      size,
      url: database.url!,
      masterKeyHex: masterKey.toString("hex"),
      shopIds: store.shopIds.map(String),
      productIds: store.productIds.map(String),
      probeSecrets: store.probeSecrets,
      inclusionSeqs,
      firstSizes,
      roots: hex(independent.roots),
      leaves: hex(independent.leaves),
    };
  } finally {
    for (const session of sessions) await session.close();
    await database.close();
  }
}

async function dropStore(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: testEnv.pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Times every route on one generated store and checks every ledger proof timed (RFC 9162). */
async function measure(state: StoreState): Promise<Record<(typeof routes)[number], { p99: number; buffers: number }>> {
  const { label, size } = state;
  const database = await openDatabase({ url: state.url, poolSizeMax: 1 });
  const server = await startLedgerServer(state.url);
  try {
    const ring = testRing("test-k1", Buffer.from(state.masterKeyHex, "hex"));
    const shopIds = state.shopIds.map(BigInt);
    const productIds = state.productIds.map(BigInt);
    const root = (treeSize: number) => Buffer.from(state.roots[String(treeSize)]!, "hex");
    const anchoredRoot = root(size.journal);
    // Kept and checked after the timing (the check is the client's work, not the route's).
    const inclusionProofs = new Map<number, InclusionProofReturnType>();
    const consistencyProofs = new Map<number, ConsistencyProofReturnType>();
    const chain = { chainId: testChain.chainId, registry: testChain.registry, entitlement: testChain.registry };
    const figures = {
      // Transaction id = seq in the generated journal (generateJournal.ts).
      ledger_inclusion_proof: await timed(database.db, async (index) => {
        const seq = state.inclusionSeqs[index]!;
        inclusionProofs.set(seq, await server.get<InclusionProofReturnType>(`/api/ledger/proofs/inclusion/${seq}`));
      }),
      ledger_consistency_proof: await timed(database.db, async (index) => {
        const first = state.firstSizes[index]!;
        consistencyProofs.set(first, await server.get<ConsistencyProofReturnType>(`/api/ledger/proofs/consistency?first=${first}&second=${size.journal}`));
      }),
      verify_by_key: await timed(database.db, async (index) => {
        const found = await findKeyBySecret(database.db, ring, state.probeSecrets[index % state.probeSecrets.length]!);
        if (!found) throw new Error("a probe key was not found");
        await buildCertificate(database.db, found.keyId, chain, "internal");
      }),
      merchant_batches_page: await timed(database.db, (index) => listBatches(database.db, { shopId: shopIds[index % shopIds.length]!, limit: 50 })),
      merchant_sales_chart: await timed(database.db, (index) => salesSummary(database.db, shopIds[index % shopIds.length]!, index % 2 === 0 ? 30 : 365)),
      storefront_product_page: await timed(database.db, (index) => getListedProduct(database.db, productIds[index % productIds.length]!, undefined)),
    };
    let failed = 0;
    for (const [seq, proof] of inclusionProofs) {
      const good =
        proof.treeSize === String(size.journal) &&
        hexBytes(proof.root).equals(anchoredRoot) &&
        inclusionVerifies(Buffer.from(state.leaves[String(seq)]!, "hex"), seq - 1, size.journal, proof.path.map(hexBytes), anchoredRoot);
      if (!good) failed += 1;
    }
    for (const [first, proof] of consistencyProofs)
      if (!consistencyVerifies(first, size.journal, proof.proof.map(hexBytes), root(first), anchoredRoot)) failed += 1;
    console.log(`scale_store=${label} ledger_proofs_checked=${inclusionProofs.size + consistencyProofs.size} ledger_proofs_failing=${failed}`);
    if (failed > 0) throw new Error(`bench:scale: ${failed} ledger proofs do not verify against the chain (RFC 9162)`);
    for (const route of routes)
      console.log(`scale_store=${label} ${route}_p99_ms=${figures[route].p99.toFixed(2)} ${route}_buffers=${figures[route].buffers.toFixed(1)}`);
    return figures;
  } finally {
    await server.close();
    await database.close();
  }
}

// SCALE_PHASE=generate builds both stores and writes SCALE_STATE; SCALE_PHASE=measure times them
// from it and keeps them (measure again, or look at a plan); SCALE_PHASE=drop drops them; unset,
// one run does all three. Why two phases: generating the 10M store
// takes most of an hour of both cores, and the p99s are only worth reading on a quiet machine,
// so the store can be built while the machine is busy and timed when it is not.
const phase = process.env.SCALE_PHASE ?? "all";
const statePath = process.env.SCALE_STATE;
if (!["all", "generate", "measure", "drop"].includes(phase)) throw new Error(`SCALE_PHASE must be generate, measure, drop or unset, not ${phase}`);
if (phase !== "all" && !statePath) throw new Error("SCALE_PHASE needs SCALE_STATE: the file the generate phase writes and the measure phase reads");
let states: StoreState[];
if (phase === "measure" || phase === "drop") {
  states = JSON.parse(readFileSync(statePath!, "utf8")) as StoreState[];
  if (phase === "drop") {
    for (const state of states) await dropStore(state.url);
    process.exit(0);
  }
} else {
  states = [];
  for (const [label, size] of Object.entries(sizes)) states.push(await generate(label, size));
  // The state holds the stores' generated master key: readable by this user only.
  if (statePath) writeFileSync(statePath, JSON.stringify(states), { mode: 0o600 });
  if (phase === "generate") {
    console.log(`scale_state=${statePath} (databases kept: ${states.map((state) => new URL(state.url).pathname.slice(1)).join(", ")})`);
    process.exit(0);
  }
}
const results: Record<string, Record<(typeof routes)[number], { p99: number; buffers: number }>> = {};
try {
  for (const state of states) results[state.label] = await measure(state);
} finally {
  if (phase === "all") for (const state of states) await dropStore(state.url);
}
for (const route of routes) {
  const [small, big] = [results.small![route], results.large![route]];
  console.log(`${route}_buffers_growth=${(big.buffers / small.buffers).toFixed(2)}`);
  console.log(`${route}_p99_ms=${big.p99.toFixed(2)}`);
  console.log(`${route}_growth=${(big.p99 / small.p99).toFixed(2)}`);
}
process.exit(0);
