// Builds indexer contexts for tests and runs the real sync loop until it has caught up with
// the node's head (observed from outside, through the checkpoint row).
import pino from "pino";
import { loadConfig } from "../../../core/config.ts";
import type { Database } from "../../../core/store/database.ts";
import type { IndexerContext, IndexerOptions } from "../../../indexer/context.ts";
import { createEventDecoder } from "../../../indexer/handlers/sources.ts";
import { createHttpRpcClient } from "../../../indexer/rpc/createHttpRpcClient.ts";
import { getBlockNumber, getHeader } from "../../../indexer/rpc/readChain.ts";
import type { RpcClient } from "../../../indexer/rpc/types.ts";
import { withRetry } from "../../../indexer/rpc/withRetry.ts";
import { runIndexer } from "../../../indexer/runIndexer.ts";
import { acquireWriterLock } from "../../../indexer/store/acquireWriterLock.ts";
import { readCheckpoint } from "../../../indexer/store/checkpoint.ts";
import { openSession } from "../../../indexer/store/session.ts";
import { sql, type SQL } from "../../../indexer/store/sql.ts";
import type { EmitterSet } from "./emitter.ts";
import { withFaults, type FaultParameters, type FaultStats } from "./faultyRpc.ts";

export const silentLogger = pino({ level: process.env.KEYLEDGER_TEST_LOG ?? "silent" });

export function testOptions(overrides: Partial<IndexerOptions> = {}): IndexerOptions {
  const config = loadConfig({});
  return {
    ...config.indexer,
    pollIntervalMs: 20,
    rpcBackoffMs: 2,
    rpcBackoffMsMax: 20,
    rpcTimeoutMs: 5_000,
    finalityDepth: 8,
    deploymentBlock: 0n,
    ...overrides,
  };
}

export function rpcFor(rpcUrl: string, options: IndexerOptions, faults?: FaultParameters): RpcClient & { stats?: FaultStats } {
  const http = createHttpRpcClient({ url: rpcUrl, timeoutMs: options.rpcTimeoutMs, responseBytesMax: options.responseBytesMax });
  const inner = faults ? withFaults(http, faults) : undefined;
  const retrying = withRetry(inner ?? http, { retriesMax: options.rpcRetriesMax, backoffMs: options.rpcBackoffMs, backoffMsMax: options.rpcBackoffMsMax });
  return { ...retrying, stats: inner?.stats };
}

export type RunUntilHeadParameters = {
  database: Database;
  chainId: number;
  rpcUrl: string;
  emitters: EmitterSet;
  options: IndexerOptions;
  faults?: FaultParameters;
  /** Abort after this many commits (a crash mid-sync); undefined: run until caught up. */
  stopAfterCommits?: number;
  custodianAddress?: string;
  timeoutMs?: number;
};

/** Runs the real indexer loop until its checkpoint equals the node's head (or the commit limit). */
export async function runUntilHead(parameters: RunUntilHeadParameters): Promise<{ commits: number; injectedErrors: number; refusedRanges: number }> {
  const { database, chainId, emitters, options } = parameters;
  const controller = new AbortController();
  const session = await acquireWriterLock(database, { chainId, standbyPollMs: 10 });
  if (!session) throw new Error("no writer lock");
  let commits = 0;
  const rpc = rpcFor(parameters.rpcUrl, options, parameters.faults);
  const context: IndexerContext = {
    chainId,
    options,
    rpc,
    session,
    decoder: createEventDecoder([
      { role: "registry", address: emitters.registry, abi: emitters.abi },
      { role: "entitlement", address: emitters.entitlement, abi: emitters.abi },
      { role: "payment", address: emitters.payment, abi: emitters.abi },
      { role: "ledgerAnchor", address: emitters.ledgerAnchor, abi: emitters.abi },
    ]),
    platform: { chainId, custodianAddress: parameters.custodianAddress?.toLowerCase(), registryAddress: emitters.registry.toLowerCase() },
    logger: silentLogger,
    signal: controller.signal,
    onCommit: () => {
      commits++;
      if (parameters.stopAfterCommits !== undefined && commits >= parameters.stopAfterCommits) controller.abort();
    },
  };
  const observer = await openSession(database);
  const plainRpc = rpcFor(parameters.rpcUrl, options);
  let looking = false;
  const watch = setInterval(async () => {
    // One look at a time: the observer is one connection.
    if (looking) return;
    looking = true;
    try {
      const head = await getBlockNumber(plainRpc);
      const checkpoint = await readCheckpoint(observer, chainId);
      if (!checkpoint || checkpoint.blockNumber !== head) return;
      const header = await getHeader(plainRpc, head);
      if (header?.hash === checkpoint.blockHash) controller.abort();
    } catch {
      // the next tick looks again
    } finally {
      looking = false;
    }
  }, 15);
  const timeout = setTimeout(() => controller.abort(new Error("timeout")), parameters.timeoutMs ?? 60_000);
  try {
    await runIndexer(context);
  } finally {
    clearInterval(watch);
    clearTimeout(timeout);
    await observer.close();
    await session.close();
  }
  if (controller.signal.reason instanceof Error && controller.signal.reason.message === "timeout") throw new Error("indexer did not reach the head in time");
  return { commits, injectedErrors: rpc.stats?.injectedErrors ?? 0, refusedRanges: rpc.stats?.refusedRanges ?? 0 };
}

/** Every indexer table, rows in key order, as comparable JSON. */
export async function dumpIndexerTables(database: Database, chainId: number): Promise<Record<string, unknown[]>> {
  const session = await openSession(database);
  try {
    const tables: Record<string, SQL> = {
      chain_blocks: sql`SELECT number, hash, parent_hash, timestamp FROM chain_blocks WHERE chain_id = ${chainId} AND number IN (SELECT block_number FROM chain_logs WHERE chain_id = ${chainId}) ORDER BY number`,
      chain_logs: sql`SELECT block_number, log_index, block_hash, transaction_hash, transaction_index, address, topics, data FROM chain_logs WHERE chain_id = ${chainId} ORDER BY 1, 2`,
      chain_events: sql`SELECT block_number, log_index, transaction_hash, contract, event_name, args FROM chain_events WHERE chain_id = ${chainId} ORDER BY 1, 2`,
      chain_batch_anchors: sql`SELECT * FROM chain_batch_anchors WHERE chain_id = ${chainId} ORDER BY block_number, log_index`,
      chain_issuances: sql`SELECT * FROM chain_issuances WHERE chain_id = ${chainId} ORDER BY block_number, log_index`,
      chain_tokens: sql`SELECT * FROM chain_tokens WHERE chain_id = ${chainId} ORDER BY block_number, log_index, token_id`,
      chain_transfers: sql`SELECT * FROM chain_transfers WHERE chain_id = ${chainId} ORDER BY block_number, log_index`,
      chain_custodial_transfers: sql`SELECT * FROM chain_custodial_transfers WHERE chain_id = ${chainId} ORDER BY block_number, log_index`,
      chain_token_states: sql`SELECT * FROM chain_token_states WHERE chain_id = ${chainId} ORDER BY block_number, log_index, token_id`,
      chain_payments: sql`SELECT * FROM chain_payments WHERE chain_id = ${chainId} ORDER BY block_number, log_index`,
      chain_ledger_anchors: sql`SELECT * FROM chain_ledger_anchors WHERE chain_id = ${chainId} ORDER BY block_number, log_index`,
      chain_mandate_events: sql`SELECT * FROM chain_mandate_events WHERE chain_id = ${chainId} ORDER BY block_number, log_index`,
      // finalized_number is left out: finality never moves back, so an indexer that saw a
      // longer branch before a reorg rightly keeps a higher final block than a fresh one.
      checkpoint: sql`SELECT block_number, block_hash FROM indexer_checkpoints WHERE chain_id = ${chainId}`,
    };
    const result: Record<string, unknown[]> = {};
    for (const [name, statement] of Object.entries(tables)) {
      result[name] = JSON.parse(JSON.stringify((await session.query(statement)).rows, (_key, value) => (typeof value === "bigint" ? value.toString() : value)));
    }
    return result;
  } finally {
    await session.close();
  }
}

export async function truncateIndexerTables(database: Database): Promise<void> {
  const session = await openSession(database);
  try {
    await session.query(
      sql`TRUNCATE indexer_checkpoints, chain_blocks, chain_logs, chain_events, chain_batch_anchors, chain_issuances,
         chain_transfers, chain_custodial_transfers, chain_token_states, chain_payments, chain_ledger_anchors, chain_mandate_events`,
    );
  } finally {
    await session.close();
  }
}
