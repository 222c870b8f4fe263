// One indexing step, in one database transaction: blocks, raw logs, decoded events, derived
// rows, platform consequences and the checkpoint. Either all of it is committed or none of it,
// so a crash at any instant resumes from a checkpoint that matches the rows exactly.
import type { IndexerContext } from "../context.ts";
import { applyFinal, applyTentative } from "../handlers/applyPlatformState.ts";
import { prepareProjection } from "../handlers/projectEvents.ts";
import type { DecodedEvent, IndexedLog } from "../handlers/sources.ts";
import type { BlockHeader } from "../rpc/types.ts";
import { writeCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { runPrepared, type PreparedWrite } from "./bulkInsert.ts";
import { prepareChainData } from "./writeChainData.ts";

export type CommitParameters = {
  previous: Checkpoint;
  /** The new tip: the last block these rows cover. */
  tip: BlockHeader;
  finalizedNumber: bigint;
  blocks: BlockHeader[];
  logs: IndexedLog[];
  /** The rows' writes, built by prepareBlocks ahead of time (backfill builds them while the previous range commits). */
  prepared?: PreparedWrite[];
};

/** Decodes the logs and builds every insert for these blocks: CPU work done outside the transaction. */
export function prepareBlocks(context: IndexerContext, blocks: BlockHeader[], logs: IndexedLog[]): PreparedWrite[] {
  const events: DecodedEvent[] = [];
  for (const log of logs) {
    const event = context.decoder.decode(log);
    if (event) events.push(event);
  }
  const copy = context.session.copyFrom !== undefined;
  return [...prepareChainData(copy, context.chainId, { blocks, logs, events }), ...prepareProjection(copy, context.chainId, events)];
}

export async function commitBlocks(context: IndexerContext, parameters: CommitParameters): Promise<Checkpoint> {
  const { previous, tip, blocks, logs } = parameters;
  // biome-ignore lint/complexity/useMathMinMax: block numbers are bigint; Math.min does not accept BigInt
  const finalizedNumber = parameters.finalizedNumber > tip.number ? tip.number : parameters.finalizedNumber;
  const prepared = parameters.prepared ?? prepareBlocks(context, blocks, logs);
  const checkpoint: Checkpoint = { blockNumber: tip.number, blockHash: tip.hash, finalizedNumber };
  await context.session.transaction(async (session) => {
    await runPrepared(session, prepared);
    const firstNew = previous.blockNumber + 1n;
    if (finalizedNumber < tip.number) await applyTentative(session, context.platform, firstNew, tip.number);
    if (finalizedNumber > previous.finalizedNumber) {
      await applyFinal(session, context.platform, previous.finalizedNumber + 1n, finalizedNumber);
    }
    await writeCheckpoint(session, context.chainId, checkpoint);
  });
  context.onCommit?.({ blockNumber: checkpoint.blockNumber, finalizedNumber, logs: logs.length });
  return checkpoint;
}
