// npm run bench:reconcile: reconciliation at 100,000 sold keys, in this process, measured the
// way the soak found it freezing `npm start` (0.3 ms of event loop per key ever sold, every
// run): the longest event-loop delay during a run (perf_hooks.monitorEventLoopDelay, 10 ms
// resolution), its wall time and this process's CPU time. The history is seeded in bulk SQL with
// chain records that agree (test/indexer/support/seedSoldKeys.ts), then two runs are measured:
//   full_pass_slice: the first run, which has no previous run: one slice of the full pass;
//   incremental:     the next run after 2,000 more sales: what changed, plus the next slice.
// Flags: --keys N (100000), --store pglite|server|both (both: PGlite is npm start's default and
// runs its SQL on this thread too; the server runs it in its own processes).
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Hex } from "viem";
import { reconcile, type ReconcileReturnType } from "../../indexer/reconcile/reconcile.ts";
import { openSession, type SqlSession } from "../../indexer/store/session.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../../test/support/database.ts";
import { seedSoldBatch, seedSoldKeys } from "../../test/indexer/support/seedSoldKeys.ts";

const { values: flags } = parseArgs({ options: { keys: { type: "string", default: "100000" }, store: { type: "string", default: "both" } } });
const keyCount = Number(flags.keys);
const stores = flags.store === "both" ? (["pglite", "server"] as const) : ([flags.store] as ("pglite" | "server")[]);
const chainId = 31337;
const registry: Hex = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const batchSize = 1_000;
const newSales = 2_000;

async function measured(session: SqlSession): Promise<{ result: ReconcileReturnType; runMs: number; delayMaxMs: number; cpuMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  histogram.enable();
  const result = await reconcile(session, { chainId, registryAddress: registry, redemptionGraceSeconds: 900 });
  histogram.disable();
  const runMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { result, runMs, delayMaxMs: histogram.max / 1e6, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * The longest event-loop delay of this process doing nothing for `milliseconds`: what the
 * machine itself adds (a process waiting for a core on a loaded machine), to read the run's
 * figure against.
 */
async function idleDelayMaxMs(milliseconds: number): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, milliseconds));
  histogram.disable();
  return histogram.max / 1e6;
}

function print(store: string, run: string, figures: Awaited<ReturnType<typeof measured>>): void {
  const sections = figures.result.checked;
  const rows = Object.values(sections).reduce((sum, tally) => sum + Object.values(tally).reduce((a, b) => a + b, 0), 0);
  console.log(
    [
      `reconcile_store=${store}`,
      `reconcile_run=${run}`,
      `reconcile_keys=${keyCount}`,
      `reconcile_entitlements_checked=${sections.changed.issuances + sections.reopened.issuances + sections.fullPass.issuances}`,
      `reconcile_rows_checked=${rows}`,
      `reconcile_findings=${figures.result.findings.length}`,
      `reconcile_run_ms=${figures.runMs.toFixed(0)}`,
      `reconcile_event_loop_max_delay_ms=${figures.delayMaxMs.toFixed(1)}`,
      `reconcile_cpu_ms=${figures.cpuMs.toFixed(0)}`,
      `reconcile_cpu_us_per_row=${((figures.cpuMs * 1000) / Math.max(rows, 1)).toFixed(1)}`,
    ].join(" "),
  );
}

for (const store of stores) {
  const database: TestDatabase = store === "server" ? await createServerDatabase({ poolSizeMax: 2 }) : await createPgliteDatabase();
  const session = await openSession(database);
  try {
    const seedStarted = performance.now();
    const { shop } = await seedSoldKeys(session, { chainId, registry, keyCount, batchSize });
    console.log(`reconcile_store=${store} reconcile_seed_keys=${keyCount} reconcile_seed_ms=${(performance.now() - seedStarted).toFixed(0)}`);
    console.log(`reconcile_store=${store} reconcile_idle_event_loop_max_delay_ms=${(await idleDelayMaxMs(5_000)).toFixed(1)}`);
    print(store, "full_pass_slice", await measured(session));
    for (let index = 0; index < newSales / batchSize; index++) {
      await seedSoldBatch(session, shop, {
        chainId,
        registry,
        keyCount: batchSize,
        firstTokenId: BigInt(keyCount + 1 + index * batchSize),
        block: BigInt(10 + keyCount / batchSize + 1 + index),
      });
    }
    print(store, "incremental", await measured(session));
  } finally {
    await session.close();
    await database.drop();
  }
}
