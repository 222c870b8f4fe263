// Reads LedgerAnchored events in bounded block ranges: RPC providers cap the range of one
// eth_getLogs, and viem refuses responses over 10 MiB (../shared/TOOLCHAIN.md).
import type { Hex, PublicClient } from "viem";
import { ledgerAnchorAbi } from "../../core/chain/abis.ts";

// Blocks per eth_getLogs call: within the limits of common providers (10,000 is the usual cap).
export const anchorLogRangeBlocksMax = 10_000n;

export type LedgerAnchoredEvent = { size: bigint; root: Hex; index: bigint; transactionHash: Hex; blockNumber: bigint };

export async function readLedgerAnchoredEvents(
  client: PublicClient,
  parameters: { address: Hex; fromBlock: bigint; toBlock?: bigint },
): Promise<LedgerAnchoredEvent[]> {
  // cacheTime 0: viem caches the head for its polling interval, which would hide an anchor mined just now.
  const toBlock = parameters.toBlock ?? (await client.getBlockNumber({ cacheTime: 0 }));
  const events: LedgerAnchoredEvent[] = [];
  for (let from = parameters.fromBlock; from <= toBlock; from += anchorLogRangeBlocksMax) {
    const to = from + anchorLogRangeBlocksMax - 1n < toBlock ? from + anchorLogRangeBlocksMax - 1n : toBlock;
    const logs = await client.getContractEvents({
      address: parameters.address,
      abi: ledgerAnchorAbi,
      eventName: "LedgerAnchored",
      fromBlock: from,
      toBlock: to,
    });
    for (const log of logs) {
      events.push({ size: log.args.size!, root: log.args.root!, index: log.args.index!, transactionHash: log.transactionHash, blockNumber: log.blockNumber });
    }
  }
  return events.sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0));
}
