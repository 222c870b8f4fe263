// Live following: one poll takes the new blocks since the checkpoint (at most
// blocksPerPollMax), checks that they link to the stored tip by parent hash, fetches their logs
// and commits them with the checkpoint. A broken link is a reorganisation: roll back to the
// common ancestor; the next poll re-applies the canonical branch.
import type { IndexerContext } from "../context.ts";
import { toIndexedLog } from "../handlers/sources.ts";
import { getHeader, getHeaders } from "../rpc/readChain.ts";
import type { BlockHeader } from "../rpc/types.ts";
import type { Checkpoint } from "../store/checkpoint.ts";
import { commitBlocks } from "../store/commitBlocks.ts";
import { fetchLogsAdaptive } from "../sync-historical/fetchLogsAdaptive.ts";
import { findCommonAncestor, rollbackToAncestor } from "./rollbackToAncestor.ts";
import { sql } from "../store/sql.ts";

export type PollResult = { checkpoint: Checkpoint; outcome: "idle" | "advanced" | "reorg" | "retry"; head: bigint };

export async function computeFinalizedNumber(context: IndexerContext, head: bigint): Promise<bigint> {
  if (context.options.useFinalizedTag) {
    const finalized = await getHeader(context.rpc, "finalized");
    if (finalized) return finalized.number;
  }
  return head - BigInt(context.options.finalityDepth);
}

/** `head` and `finalizedTarget`: what the loop read for this round (runIndexer.ts). */
export async function pollHead(context: IndexerContext, checkpoint: Checkpoint, head: bigint, finalizedTarget: bigint): Promise<PollResult> {
  if (head <= checkpoint.blockNumber) {
    if (head < checkpoint.finalizedNumber) {
      // A node behind our final block (a lagging replica behind a load balancer) is not a
      // reorg: wait for it to catch up.
      context.logger.warn({ head: head.toString(), finalized: checkpoint.finalizedNumber.toString() }, "RPC head is behind the finalized checkpoint; waiting");
      return { checkpoint, outcome: "idle", head };
    }
    const remote = await getHeader(context.rpc, head);
    const { rows } = await context.session.query<{ hash: string }>(sql`SELECT hash FROM chain_blocks WHERE chain_id = ${context.chainId} AND number = ${head}`);
    if (remote && rows[0]?.hash === remote.hash && head === checkpoint.blockNumber) return { checkpoint, outcome: "idle", head };
    if (remote && rows[0]?.hash === remote.hash) {
      // The chain is shorter than our tip but agrees at its head: everything above is orphaned.
      return { checkpoint: await rollbackToAncestor(context, checkpoint, { number: head, hash: remote.hash }), outcome: "reorg", head };
    }
    const ancestor = await findCommonAncestor(context, checkpoint, head);
    return { checkpoint: await rollbackToAncestor(context, checkpoint, ancestor), outcome: "reorg", head };
  }

  const last =
    checkpoint.blockNumber + BigInt(context.options.blocksPerPollMax) < head ? checkpoint.blockNumber + BigInt(context.options.blocksPerPollMax) : head;
  const numbers: bigint[] = [];
  for (let number = checkpoint.blockNumber + 1n; number <= last; number++) numbers.push(number);
  const fetched = await getHeaders(context.rpc, numbers, context.options.blocksPerPollMax);
  const blocks: BlockHeader[] = [];
  let expectedParent = checkpoint.blockHash;
  for (const header of fetched) {
    // Stop at a hole (the node's head moved back meanwhile) or a broken link inside the new
    // blocks (a reorg while we fetched): take the consistent prefix, the next poll sees the rest.
    if (!header || header.parentHash !== expectedParent) break;
    blocks.push(header);
    expectedParent = header.hash;
  }
  if (blocks.length === 0) {
    const first = fetched[0];
    if (first && first.parentHash !== checkpoint.blockHash) {
      const ancestor = await findCommonAncestor(context, checkpoint, checkpoint.blockNumber);
      return { checkpoint: await rollbackToAncestor(context, checkpoint, ancestor), outcome: "reorg", head };
    }
    return { checkpoint, outcome: "retry", head };
  }
  const tip = blocks[blocks.length - 1]!;
  const { logs: rawLogs } = await fetchLogsAdaptive(context.rpc, context.decoder.addresses, blocks[0]!.number, tip.number);
  const hashes = new Map(blocks.map((block) => [block.number, block.hash]));
  const logs = rawLogs.filter((log) => !log.removed).map(toIndexedLog);
  if (logs.some((log) => hashes.get(log.blockNumber) !== log.blockHash)) {
    // The logs come from another branch than the headers: the chain moved while we read it.
    return { checkpoint, outcome: "retry", head };
  }
  const finalizedNumber = finalizedTarget > checkpoint.finalizedNumber ? finalizedTarget : checkpoint.finalizedNumber;
  const next = await commitBlocks(context, { previous: checkpoint, tip, finalizedNumber, blocks, logs });
  return { checkpoint: next, outcome: "advanced", head };
}
