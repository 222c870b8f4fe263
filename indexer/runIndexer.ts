// The sync loop: backfill final blocks in bulk, then follow the head by polling, until the
// signal aborts. Resumes from the checkpoint; the first run starts at the deployment block.
import type { IndexerContext } from "./context.ts";
import { getBlockNumber, getHeader } from "./rpc/readChain.ts";
import { readCheckpoint, writeCheckpoint, type Checkpoint } from "./store/checkpoint.ts";
import { writeChainData } from "./store/writeChainData.ts";
import { backfill } from "./sync-historical/backfill.ts";
import { computeFinalizedNumber, pollHead } from "./sync-realtime/pollHead.ts";
import { findCommonAncestor, rollbackToAncestor, zeroHash } from "./sync-realtime/rollbackToAncestor.ts";

export async function loadOrInitCheckpoint(context: IndexerContext): Promise<Checkpoint> {
  const existing = await readCheckpoint(context.session, context.chainId);
  if (existing) return existing;
  // "Before the deployment block": the block below it, whose hash the first block links to.
  const below = context.options.deploymentBlock - 1n;
  const header = below >= 0n ? await getHeader(context.rpc, below) : undefined;
  if (below >= 0n && !header) throw new Error(`Block ${below} (below DEPLOYMENT_BLOCK) is not on the node: is DEPLOYMENT_BLOCK right for this chain?`);
  const checkpoint: Checkpoint = { blockNumber: below, blockHash: header?.hash ?? zeroHash, finalizedNumber: below };
  await context.session.transaction(async (session) => {
    if (header) await writeChainData(session, context.chainId, { blocks: [header], logs: [], events: [] });
    await writeCheckpoint(session, context.chainId, checkpoint);
  });
  return checkpoint;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Runs until context.signal aborts; throws on a deep reorg or when RPC retries are spent. */
export async function runIndexer(context: IndexerContext): Promise<Checkpoint> {
  let checkpoint = await loadOrInitCheckpoint(context);
  context.logger.info(
    { block: checkpoint.blockNumber.toString(), finalized: checkpoint.finalizedNumber.toString(), rpc: context.rpc.label },
    "indexer resuming from checkpoint",
  );
  while (!context.signal.aborted) {
    const head = await getBlockNumber(context.rpc);
    const finalizedTarget = await computeFinalizedNumber(context, head);
    if (checkpoint.blockNumber < finalizedTarget) {
      if (checkpoint.blockNumber > checkpoint.finalizedNumber) {
        // Unfinalized rows from before a restart: check they are still canonical first.
        const remote = await getHeader(context.rpc, checkpoint.blockNumber);
        if (!remote || remote.hash !== checkpoint.blockHash) {
          checkpoint = await rollbackToAncestor(context, checkpoint, await findCommonAncestor(context, checkpoint, checkpoint.blockNumber));
          continue;
        }
      }
      const started = Date.now();
      const from = checkpoint.blockNumber + 1n;
      checkpoint = await backfill(context, checkpoint, finalizedTarget);
      context.logger.info({ from: from.toString(), to: checkpoint.blockNumber.toString(), ms: Date.now() - started }, "backfilled final blocks");
      continue;
    }
    const result = await pollHead(context, checkpoint, head, finalizedTarget);
    checkpoint = result.checkpoint;
    if (result.outcome === "advanced" && context.afterCommit) await context.afterCommit();
    // Sleep only when caught up; a reorg or a partial poll goes again at once.
    if (result.outcome === "idle") await sleep(context.options.pollIntervalMs, context.signal);
    else if (result.outcome === "advanced" && checkpoint.blockNumber >= result.head) await sleep(context.options.pollIntervalMs, context.signal);
    else if (result.outcome === "retry") await sleep(Math.min(50, context.options.pollIntervalMs), context.signal);
  }
  return checkpoint;
}
