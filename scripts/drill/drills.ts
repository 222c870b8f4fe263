// The fault drills (docs/drills.md): each injects one fault into the running platform during a
// sale load, repairs it the way an operator or a supervisor would, and then checks what must
// hold after any fault (drillChecks.ts).
import { checkDrill, drillProblems, type CheckedPlatform, type DrillFigures } from "./drillChecks.ts";
import { waitForApi, type DrillPlatform, type PartName } from "./drillPlatform.ts";
import { startSaleLoad } from "./saleLoad.ts";
import type { SaleProduct } from "../bench/sale/saleSetup.ts";

// The Redis drill comes last: a platform it leaves broken would fail every drill after it.
export const drillNames = ["worker-kill", "indexer-kill", "api-kill", "postgres-restart", "chain-pause", "api-sigterm", "redis-empty-restart"] as const;
export type DrillName = (typeof drillNames)[number];

export type DrillOptions = {
  buyers: number;
  /** A buyer's pause between purchases: keeps the load at what the drill needs on a shared machine. */
  thinkMs: number;
  /** Load before the fault, and after the repair. */
  warmupMs: number;
  afterRepairMs: number;
  /** How long a killed process or Redis stays down before it is started again. */
  downMs: number;
  /** How long the chain is paused. */
  chainPauseMs: number;
  /** How long the API may take to exit after SIGTERM: its SHUTDOWN_DEADLINE_MS (10 s by default) and a margin for a busy machine. */
  shutdownDeadlineMs: number;
};

export type DrillResult = {
  /** A drill of drillNames, or of the cluster's (scripts/cluster/clusterDrills.ts). */
  name: string;
  figures: DrillFigures;
  /** From the fault until its repair began. */
  outageSeconds: number;
  /** Parts that exited without being asked during the drill (the supervisor restarted them). */
  unplannedExits: number;
  /** Buyer and gateway requests that got no answer or a 5xx (retried until they succeeded). */
  requestsFailed: number;
  /** Of those, requests lost on a connection that closed before the answer (refused ones not counted). */
  requestsCut: number;
  /** Checkouts answered out_of_stock (asked again). */
  outOfStock: number;
  /** api-sigterm: how long the API took to exit after SIGTERM (killed after the deadline). */
  shutdownSeconds?: number;
  problems: string[];
};

/** What a fault's injection reports: when its repair was done, and what went wrong in it. */
export type Injection = { repairAt: number; shutdownSeconds?: number; problems: string[] };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function killAndRestart(platform: DrillPlatform, part: PartName, options: DrillOptions): Promise<Injection> {
  await platform.parts[part].stop("SIGKILL");
  await pause(options.downMs);
  const repairAt = Date.now();
  await platform.parts[part].start();
  return { repairAt, problems: [] };
}

const injections: Record<DrillName, (platform: DrillPlatform, options: DrillOptions) => Promise<Injection>> = {
  "worker-kill": (platform, options) => killAndRestart(platform, "workers", options),
  "indexer-kill": (platform, options) => killAndRestart(platform, "indexer", options),
  "api-kill": (platform, options) => killAndRestart(platform, "api", options),
  async "redis-empty-restart"(platform, options) {
    await platform.redis.kill();
    await pause(options.downMs);
    const repairAt = Date.now();
    await platform.redis.startEmpty();
    return { repairAt, problems: [] };
  },
  async "postgres-restart"(platform) {
    if (!platform.postgres) throw new Error("postgres-restart needs the drill's private PostgreSQL cluster (no shared server is restarted)");
    // The outage is the restart itself: fast shutdown (open connections are cut), then start.
    await platform.postgres.restart();
    return { repairAt: Date.now(), problems: [] };
  },
  async "chain-pause"(platform, options) {
    platform.chain.pause();
    await pause(options.chainPauseMs);
    const repairAt = Date.now();
    platform.chain.resume();
    return { repairAt, problems: [] };
  },
  async "api-sigterm"(platform, options) {
    const { exitedAfterMs, killed } = await platform.parts.api.stop("SIGTERM", options.shutdownDeadlineMs);
    const repairAt = Date.now();
    await platform.parts.api.start();
    await waitForApi(platform);
    const problems = killed ? [`the API was still running ${options.shutdownDeadlineMs / 1000} s after SIGTERM (killed)`] : [];
    return { repairAt, shutdownSeconds: exitedAfterMs / 1000, problems };
  },
};

export function runDrill(
  platform: DrillPlatform,
  product: SaleProduct,
  name: DrillName,
  options: DrillOptions,
  codesSeen: Map<string, string>,
): Promise<DrillResult> {
  return runFaultUnderLoad(platform, product, name, () => injections[name](platform, options), options, codesSeen);
}

/** Runs a sale load, injects a fault with `inject` (which repairs it too) and checks what must hold after it. */
export async function runFaultUnderLoad(
  platform: CheckedPlatform & { unplannedExits: Record<string, number> },
  product: SaleProduct,
  name: string,
  inject: () => Promise<Injection>,
  options: Pick<DrillOptions, "buyers" | "thinkMs" | "warmupMs" | "afterRepairMs">,
  codesSeen: Map<string, string>,
): Promise<DrillResult> {
  const exitsBefore = totalExits(platform);
  const load = startSaleLoad({
    url: platform.url,
    product,
    buyers: options.buyers,
    thinkMs: options.thinkMs,
    abandonEvery: 5,
    deliveryWaitMs: 15_000,
    label: name,
  });
  await pause(options.warmupMs);
  const faultAt = Date.now();
  const injection = await inject();
  await pause(options.afterRepairMs);
  // The load goes on until the sale path has delivered an order begun after the repair (a
  // process restart alone can take longer than afterRepairMs on a busy machine), for 2 minutes at most.
  await load.deliveredSince(injection.repairAt, 120_000);
  const { unacknowledgedPayments } = await load.stop(120_000);
  const figures = await checkDrill({ platform, orders: [...load.orders.values()], repairAt: injection.repairAt, codesSeen });
  const problems = [...injection.problems, ...drillProblems(figures)];
  if (unacknowledgedPayments.length > 0) {
    const [first] = unacknowledgedPayments;
    problems.push(
      `${unacknowledgedPayments.length} payments the gateway could not get acknowledged within 2 minutes (order ${first!.id}: last answer ${first!.lastNotifyAnswer})`,
    );
  }
  return {
    name,
    figures,
    outageSeconds: (injection.repairAt - faultAt) / 1000,
    unplannedExits: totalExits(platform) - exitsBefore,
    requestsFailed: load.failures.checkout + load.failures.notify + load.failures.poll,
    requestsCut: load.cut.count,
    outOfStock: load.outOfStock.count,
    shutdownSeconds: injection.shutdownSeconds,
    problems,
  };
}

/**
 * Restarts the API, the workers and the indexer (SIGTERM, then start): after a failed drill, so
 * that the next drill starts from a platform in working order instead of inheriting the breakage.
 */
export async function restartParts(platform: DrillPlatform): Promise<void> {
  for (const part of Object.values(platform.parts)) {
    await part.stop("SIGTERM", 30_000);
    await part.start();
    if (part.name === "api") await waitForApi(platform);
  }
}

function totalExits(platform: { unplannedExits: Record<string, number> }): number {
  return Object.values(platform.unplannedExits).reduce((sum, count) => sum + count, 0);
}

/** The drill's `name=value` line (npm run drill prints one per drill). */
export function formatDrillLine(result: DrillResult): string {
  const { figures } = result;
  const fields: [string, string | number][] = [
    ["drill", result.name],
    ["drill_orders_paid", figures.ordersPaid],
    ["drill_orders_fulfilled", figures.ordersFulfilled],
    ["drill_duplicates", figures.duplicates],
    ["drill_unbalanced", figures.unbalanced],
    ["drill_recover_seconds", figures.recoverSeconds.toFixed(1)],
    ["drill_backlog_seconds", figures.backlogSeconds.toFixed(1)],
    ["drill_outage_seconds", result.outageSeconds.toFixed(1)],
    ["drill_unissued", figures.unissued],
    ["drill_issue_lag_max_seconds", figures.issueLagMaxSeconds.toFixed(1)],
    ["drill_anchors_after_repair", figures.anchorsAfterRepair],
    ["drill_expired_after_repair", figures.expiredAfterRepair],
    ["drill_indexer_mismatches", figures.indexerMismatches],
    ["drill_reconcile_findings", figures.reconcileFindings],
    ["drill_acknowledged_not_recorded", figures.acknowledgedNotRecorded],
    ["drill_late_payments", figures.latePayments],
    ["drill_unplanned_exits", result.unplannedExits],
    ["drill_requests_failed", result.requestsFailed],
    ["drill_requests_cut", result.requestsCut],
    ["drill_out_of_stock", result.outOfStock],
    ...(result.shutdownSeconds === undefined ? [] : [["drill_shutdown_seconds", result.shutdownSeconds.toFixed(1)] as [string, string]]),
    ["drill_ok", result.problems.length === 0 ? 1 : 0],
  ];
  return fields.map(([name, value]) => `${name}=${value}`).join(" ");
}
