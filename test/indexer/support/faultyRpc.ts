// A fault-injecting wrapper around the real RPC client: it lets a seeded share of calls fail
// (node errors, timeouts) and refuses wide getLogs ranges as "too many results", the way
// providers do. Calls that pass go to the real Hardhat node: it injects faults, it does not
// stand in for the chain.
import { RpcRequestError } from "../../../indexer/rpc/errors.ts";
import type { RpcClient, RpcRequest } from "../../../indexer/rpc/types.ts";

export type FaultParameters = {
  random: () => number;
  errorRate: number;
  /** getLogs ranges wider than this are refused as too many results (undefined: never). */
  logsRangeBlocksMax?: number;
  delayMsMax?: number;
};

export type FaultStats = { calls: number; injectedErrors: number; refusedRanges: number };

export function withFaults(client: RpcClient, parameters: FaultParameters): RpcClient & { stats: FaultStats } {
  const stats: FaultStats = { calls: 0, injectedErrors: 0, refusedRanges: 0 };
  const maybeFail = async (request: RpcRequest) => {
    stats.calls++;
    if (parameters.delayMsMax) await new Promise((resolve) => setTimeout(resolve, Math.floor(parameters.random() * parameters.delayMsMax!)));
    if (parameters.random() < parameters.errorRate) {
      stats.injectedErrors++;
      throw new RpcRequestError(request.method, "injected fault: 502 Bad Gateway");
    }
    if (request.method === "eth_getLogs" && parameters.logsRangeBlocksMax !== undefined) {
      const filter = request.params[0] as { fromBlock: string; toBlock: string };
      if (Number(BigInt(filter.toBlock) - BigInt(filter.fromBlock)) + 1 > parameters.logsRangeBlocksMax) {
        stats.refusedRanges++;
        throw new RpcRequestError(request.method, "-32005: query returned more than 10000 results", { rpcCode: -32005, tooManyResults: true });
      }
    }
  };
  return {
    label: client.label,
    stats,
    async request<T>(request: RpcRequest): Promise<T> {
      await maybeFail(request);
      return client.request<T>(request);
    },
    async batch<T>(requests: RpcRequest[]): Promise<T[]> {
      await maybeFail(requests[0] ?? { method: "batch", params: [] });
      return client.batch<T>(requests);
    },
  };
}
