// `npm run drill`: the fault drills (docs/drills.md) against the platform run as separate
// processes (API, workers, indexer) on a private PostgreSQL cluster, a private Redis and a local
// Hardhat node, all children of this process. Each drill runs a sale load, injects its fault,
// repairs it, and prints one line:
//   drill=<name> drill_orders_paid=N drill_orders_fulfilled=N drill_duplicates=N drill_unbalanced=N
//   drill_recover_seconds=S ... drill_ok=1
// and, when it failed, what broke on stderr. Exits non-zero when any drill failed.
// DRILLS=worker-kill,redis-empty-restart runs some; DRILL_CHAIN_PAUSE_SECONDS (60),
// DRILL_BUYERS (6), DRILL_KEEP_LOGS=1 (keep the parts' logs and print where).
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setupSaleProduct } from "./bench/sale/saleSetup.ts";
import { startDrillPlatform } from "./drill/drillPlatform.ts";
import { drillNames, formatDrillLine, restartParts, runDrill, type DrillName, type DrillOptions } from "./drill/drills.ts";

const selected = (process.env.DRILLS ?? drillNames.join(",")).split(",").map((name) => name.trim()) as DrillName[];
for (const name of selected) if (!drillNames.includes(name)) throw new Error(`unknown drill ${name}; the drills are ${drillNames.join(", ")}`);
const options: DrillOptions = {
  buyers: Number(process.env.DRILL_BUYERS ?? 6),
  thinkMs: 200,
  warmupMs: 10_000,
  afterRepairMs: 20_000,
  downMs: 3_000,
  chainPauseMs: Number(process.env.DRILL_CHAIN_PAUSE_SECONDS ?? 60) * 1000,
  shutdownDeadlineMs: 15_000,
};
const logDir = process.env.DRILL_KEEP_LOGS === "1" ? mkdtempSync(path.join(os.tmpdir(), "keyledger-drill-logs-")) : undefined;

const platform = await startDrillPlatform({ logDir });
let failed = 0;
try {
  // About 25 orders a second at most for 30 to 90 s a drill, plus margin; imports of 4,000 keys
  // (one of 28,000 held the worker's event loop past its job lock on a busy machine).
  const product = await setupSaleProduct({
    url: platform.url,
    sandboxSecret: platform.sandboxSecret,
    keys: 4_000 * selected.length,
    keysPerImport: 4_000,
    name: "drill",
  });
  const codesSeen = new Map<string, string>();
  for (const name of selected) {
    const result = await runDrill(platform, product, name, options, codesSeen);
    process.stdout.write(`${formatDrillLine(result)}\n`);
    if (result.problems.length > 0) {
      failed += 1;
      process.stderr.write(`drill ${name} failed: ${result.problems.join("; ")}\n`);
      await restartParts(platform);
    }
  }
} finally {
  await platform.stop();
  if (logDir) process.stderr.write(`the parts' logs are in ${logDir}\n`);
}
process.exitCode = failed > 0 ? 1 : 0;
