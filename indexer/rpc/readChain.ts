// Typed reads over the JSON-RPC client: head, headers (one or a batch) and logs.
import type { Hex } from "viem";
import { toHeader, type BlockHeader, type RpcBlock, type RpcClient, type RpcLog } from "./types.ts";

const hex = (value: bigint): Hex => `0x${value.toString(16)}`;

export async function getBlockNumber(rpc: RpcClient): Promise<bigint> {
  return BigInt(await rpc.request<Hex>({ method: "eth_blockNumber", params: [] }));
}

export async function getChainId(rpc: RpcClient): Promise<number> {
  return Number(await rpc.request<Hex>({ method: "eth_chainId", params: [] }));
}

export async function getHeader(rpc: RpcClient, block: bigint | "finalized" | "latest"): Promise<BlockHeader | undefined> {
  const tag = typeof block === "bigint" ? hex(block) : block;
  const result = await rpc.request<RpcBlock | null>({ method: "eth_getBlockByNumber", params: [tag, false] });
  return result ? toHeader(result) : undefined;
}

/** Headers for the given numbers, in order; a missing block (beyond the head) is undefined. */
export async function getHeaders(rpc: RpcClient, numbers: bigint[], batchSizeMax: number): Promise<(BlockHeader | undefined)[]> {
  const result: (BlockHeader | undefined)[] = [];
  for (let start = 0; start < numbers.length; start += batchSizeMax) {
    const chunk = numbers.slice(start, start + batchSizeMax);
    const blocks = await rpc.batch<RpcBlock | null>(chunk.map((number) => ({ method: "eth_getBlockByNumber", params: [hex(number), false] })));
    for (const block of blocks) result.push(block ? toHeader(block) : undefined);
  }
  return result;
}

export async function getLogs(rpc: RpcClient, addresses: Hex[], fromBlock: bigint, toBlock: bigint): Promise<RpcLog[]> {
  return rpc.request<RpcLog[]>({ method: "eth_getLogs", params: [{ address: addresses, fromBlock: hex(fromBlock), toBlock: hex(toBlock) }] });
}
