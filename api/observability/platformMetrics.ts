// The API's and the workers' Prometheus metrics (prom-client). Names and labels are a public
// interface: ops/grafana/keyledger.json queries them (test/observability/dashboard.test.ts keeps
// the two in step) and docs/operations.md lists them.
//
// Measured as they happen: request latency by route template (never the raw path, whose ids
// would make a series per order) and fulfilment latency. Measured at scrape time from where the
// state is kept: queue depth and the oldest waiting job's age, the chain writer's backlog, the
// ledger's hash-chain lag, reconciliation's findings, the indexer's lag. Every process that
// registers the scrape-time gauges reports the same values; the dashboard takes their max.
import type { Queue } from "bullmq";
import { Gauge, Histogram, type Registry } from "prom-client";
import { registerIndexerLagGauge } from "../../core/observability/indexerLag.ts";
import type { Drizzle } from "../../core/store/database.ts";
import type { ChainContext } from "../chain/chainContext.ts";
import { oldestWaitingAgeSeconds, readChainWriterBacklog, readLedgerHashChainLag, readReconciliationFindings } from "./platformState.ts";

export type PlatformMetrics = {
  registry: Registry;
  httpRequestDuration: Histogram<"method" | "route" | "status_code">;
  fulfilmentLatency: Histogram;
};

export type PlatformStateSources = {
  db: Drizzle;
  queues: Record<string, Queue>;
  chain: ChainContext | undefined;
  onError(error: unknown, metric: string): void;
};

// Seconds; from a lean checkout (a few ms) to a slow import upload.
const httpBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Seconds; the promise is "within a second", the tail shows a backlog.
const fulfilmentBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];
const queueStates = ["wait", "active", "delayed", "failed"] as const;

export function createPlatformMetrics(registry: Registry): PlatformMetrics {
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: "keyledger_http_request_duration_seconds",
      help: "HTTP request latency by method, route template and status code.",
      labelNames: ["method", "route", "status_code"] as const,
      buckets: httpBuckets,
      registers: [registry],
    }),
    fulfilmentLatency: new Histogram({
      name: "keyledger_fulfilment_latency_seconds",
      help: "From a paid order's hand-over to the fulfilment queue until its keys are delivered.",
      buckets: fulfilmentBuckets,
      registers: [registry],
    }),
  };
}

/** Registers the scrape-time gauges on `registry`; a source that fails leaves its gauge empty for that scrape. */
export function registerPlatformStateGauges(registry: Registry, sources: PlatformStateSources): void {
  const guarded = (metric: string, read: () => Promise<void>) => async () => {
    try {
      await read();
    } catch (error) {
      sources.onError(error, metric);
    }
  };
  new Gauge({
    name: "keyledger_queue_jobs",
    help: "Jobs in each BullMQ queue by state (wait, active, delayed, failed).",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    collect: async function (this: Gauge<"queue" | "state">) {
      this.reset();
      await guarded("keyledger_queue_jobs", async () => {
        for (const [name, queue] of Object.entries(sources.queues)) {
          const counts = await queue.getJobCounts(...queueStates);
          for (const state of queueStates) this.set({ queue: name, state }, counts[state] ?? 0);
        }
      })();
    },
  });
  new Gauge({
    name: "keyledger_queue_oldest_waiting_age_seconds",
    help: "Age of the oldest job waiting in each queue (0 when none waits).",
    labelNames: ["queue"] as const,
    registers: [registry],
    collect: async function (this: Gauge<"queue">) {
      this.reset();
      await guarded("keyledger_queue_oldest_waiting_age_seconds", async () => {
        for (const [name, queue] of Object.entries(sources.queues)) this.set({ queue: name }, await oldestWaitingAgeSeconds(queue));
      })();
    },
  });
  new Gauge({
    name: "keyledger_chain_writer_backlog",
    help: "Chain writes waiting: entitlements to issue, batch roots to anchor.",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect: async function (this: Gauge<"kind">) {
      this.reset();
      await guarded("keyledger_chain_writer_backlog", async () => {
        const backlog = await readChainWriterBacklog(sources.db);
        this.set({ kind: "issuance" }, backlog.issuances);
        this.set({ kind: "batch_anchor" }, backlog.batchAnchors);
      })();
    },
  });
  new Gauge({
    name: "keyledger_ledger_hash_chain_lag_entries",
    help: "Journal transactions committed but not yet chained by the hasher.",
    registers: [registry],
    collect: async function (this: Gauge) {
      this.reset();
      await guarded("keyledger_ledger_hash_chain_lag_entries", async () => this.set(await readLedgerHashChainLag(sources.db)))();
    },
  });
  new Gauge({
    name: "keyledger_reconciliation_findings",
    help: "Findings of the latest finished reconciliation run, by kind (missing_on_chain, missing_off_chain, mismatch, reorged).",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect: async function (this: Gauge<"kind">) {
      this.reset();
      await guarded("keyledger_reconciliation_findings", async () => {
        for (const kind of ["missing_on_chain", "missing_off_chain", "mismatch", "reorged"]) this.set({ kind }, 0);
        for (const finding of await readReconciliationFindings(sources.db)) this.set({ kind: finding.kind }, finding.count);
      })();
    },
  });
  const chain = sources.chain;
  if (chain) {
    registerIndexerLagGauge(registry, {
      db: sources.db,
      chainId: chain.chainId,
      headBlock: () => chain.publicClient.getBlockNumber(),
      onError: (error) => sources.onError(error, "keyledger_indexer_lag_blocks"),
    });
  }
}
