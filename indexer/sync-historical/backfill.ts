// Historical backfill of final blocks: eth_getLogs over adaptive block ranges, several in
// flight, committed strictly in block order (each commit is one transaction with its
// checkpoint). Ranges grow after a success and shrink when the node refuses a range or a range
// returns more logs than the target, between the configured minimum and maximum.
import type { IndexerContext } from "../context.ts";
import { toIndexedLog } from "../handlers/sources.ts";
import { getHeaders } from "../rpc/readChain.ts";
import type { BlockHeader } from "../rpc/types.ts";
import type { Checkpoint } from "../store/checkpoint.ts";
import type { PreparedWrite } from "../store/bulkInsert.ts";
import { commitBlocks, prepareBlocks } from "../store/commitBlocks.ts";
import { fetchLogsAdaptive } from "./fetchLogsAdaptive.ts";

type FetchedRange = { fromBlock: bigint; toBlock: bigint; blocks: BlockHeader[]; logs: ReturnType<typeof toIndexedLog>[]; prepared: PreparedWrite[] };

// Header requests per JSON-RPC batch: large enough to amortise HTTP, small enough for any node.
const headerBatchSizeMax = 100;

export async function backfill(context: IndexerContext, start: Checkpoint, toBlock: bigint): Promise<Checkpoint> {
  const { options } = context;
  let rangeSize = BigInt(options.rangeBlocksInitial);
  const rangeMin = BigInt(options.rangeBlocksMin);
  const rangeMax = BigInt(options.rangeBlocksMax);
  let next = start.blockNumber + 1n;
  const inFlight: Promise<FetchedRange>[] = [];
  let checkpoint = start;

  const launch = () => {
    const fromBlock = next;
    const end = fromBlock + rangeSize - 1n > toBlock ? toBlock : fromBlock + rangeSize - 1n;
    next = end + 1n;
    const fetched = fetchRange(context, fromBlock, end, (logCount, splits) => {
      // Adapt the size of ranges not yet launched from what this one returned.
      if (splits > 0 || logCount > options.logsPerRangeTarget) {
        const half = (end - fromBlock + 1n) / 2n;
        rangeSize = half < rangeMin ? rangeMin : half;
      } else if (logCount * 2 < options.logsPerRangeTarget) {
        const doubled = rangeSize * 2n;
        rangeSize = doubled > rangeMax ? rangeMax : doubled;
      }
    });
    // A later range may fail while an earlier one is awaited: its error surfaces when its turn
    // comes, not as an unhandled rejection.
    fetched.catch(() => {});
    inFlight.push(fetched);
  };

  while ((next <= toBlock || inFlight.length > 0) && !context.signal.aborted) {
    while (inFlight.length < options.concurrency && next <= toBlock) launch();
    const range = await inFlight.shift()!;
    const tip = range.blocks.find((block) => block.number === range.toBlock)!;
    checkpoint = await commitBlocks(context, {
      previous: checkpoint,
      tip,
      finalizedNumber: range.toBlock,
      blocks: range.blocks,
      logs: range.logs,
      prepared: range.prepared,
    });
    if (context.afterCommit) await context.afterCommit();
  }
  // Let fetches still in flight settle before returning (their results are discarded).
  await Promise.allSettled(inFlight);
  return checkpoint;
}

async function fetchRange(
  context: IndexerContext,
  fromBlock: bigint,
  toBlock: bigint,
  onFetched: (logCount: number, splits: number) => void,
): Promise<FetchedRange> {
  const { logs: rawLogs, splits } = await fetchLogsAdaptive(context.rpc, context.decoder.addresses, fromBlock, toBlock);
  onFetched(rawLogs.length, splits);
  const logs = rawLogs.filter((log) => !log.removed).map(toIndexedLog);
  // Headers of every block with a log (timestamps) and of the range's last block (the hash the
  // next block links to).
  const numbers = [...new Set([...logs.map((log) => log.blockNumber), toBlock])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const headers = await getHeaders(context.rpc, numbers, headerBatchSizeMax);
  const blocks: BlockHeader[] = [];
  for (const [position, header] of headers.entries()) {
    if (!header) throw new Error(`Block ${numbers[position]} is missing on the node although it is below the finalized block`);
    blocks.push(header);
  }
  const hashes = new Map(blocks.map((block) => [block.number, block.hash]));
  for (const log of logs) {
    if (hashes.get(log.blockNumber) !== log.blockHash) {
      throw new Error(
        `Log ${log.blockNumber}:${log.logIndex} belongs to block hash ${log.blockHash}, not the node's ${hashes.get(log.blockNumber)}: a reorg below the finality depth?`,
      );
    }
  }
  // Decoding and building the inserts here, in the concurrent fetch stage, overlaps that CPU
  // work with the database committing the ranges before this one.
  return { fromBlock, toBlock, blocks, logs, prepared: prepareBlocks(context, blocks, logs) };
}
