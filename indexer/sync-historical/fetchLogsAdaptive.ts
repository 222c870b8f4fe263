// eth_getLogs over a block range that adapts to the node: a range whose answer is refused as
// too big ("too many results", an oversized response) is split in halves and fetched again,
// down to a single block; a single block that is still too big is a clear, final error.
import type { Hex } from "viem";
import { isRangeTooLarge } from "../rpc/errors.ts";
import { getLogs } from "../rpc/readChain.ts";
import type { RpcClient, RpcLog } from "../rpc/types.ts";

export type FetchLogsResult = { logs: RpcLog[]; splits: number };

export async function fetchLogsAdaptive(rpc: RpcClient, addresses: Hex[], fromBlock: bigint, toBlock: bigint): Promise<FetchLogsResult> {
  try {
    return { logs: await getLogs(rpc, addresses, fromBlock, toBlock), splits: 0 };
  } catch (error) {
    if (!isRangeTooLarge(error)) throw error;
    if (fromBlock === toBlock) {
      throw new Error(
        `eth_getLogs for the single block ${fromBlock} is too large for the node (${(error as Error).message}). ` +
          `Raise INDEXER_RESPONSE_BYTES_MAX or use a node without this limit.`,
        { cause: error },
      );
    }
    const middle = fromBlock + (toBlock - fromBlock) / 2n;
    const left = await fetchLogsAdaptive(rpc, addresses, fromBlock, middle);
    const right = await fetchLogsAdaptive(rpc, addresses, middle + 1n, toBlock);
    return { logs: [...left.logs, ...right.logs], splits: left.splits + right.splits + 1 };
  }
}
