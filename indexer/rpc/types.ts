// The JSON-RPC shapes the indexer reads, as the node sends them (hex quantities).
import type { Hex } from "viem";

export type RpcRequest = { method: string; params: unknown[] };

/** A JSON-RPC client: one request, or several in one HTTP batch (answers in request order). */
export type RpcClient = {
  request<T = unknown>(request: RpcRequest): Promise<T>;
  batch<T = unknown>(requests: RpcRequest[]): Promise<T[]>;
  /** The URL with credentials stripped, for logs. */
  label: string;
};

export type RpcBlock = {
  number: Hex;
  hash: Hex;
  parentHash: Hex;
  timestamp: Hex;
};

export type RpcLog = {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  transactionIndex: Hex;
  logIndex: Hex;
  removed?: boolean;
};

/** A block header as the indexer keeps it. */
export type BlockHeader = { number: bigint; hash: Hex; parentHash: Hex; timestamp: bigint };

export function toHeader(block: RpcBlock): BlockHeader {
  return {
    number: BigInt(block.number),
    hash: block.hash.toLowerCase() as Hex,
    parentHash: block.parentHash.toLowerCase() as Hex,
    timestamp: BigInt(block.timestamp),
  };
}
