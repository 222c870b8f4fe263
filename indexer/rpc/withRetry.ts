// Bounded retries with exponential backoff and jitter for every RPC call. "Too many results"
// and oversized responses are not retried here: the caller splits the range instead. After
// retriesMax failed retries the call throws RpcUnavailableError, a clear, final error.
import { isRangeTooLarge, RpcUnavailableError } from "./errors.ts";
import type { RpcClient, RpcRequest } from "./types.ts";

export type RetryParameters = {
  retriesMax: number;
  backoffMs: number;
  backoffMsMax: number;
  /** Called before each retry; the entry point logs it. */
  onRetry?: (info: { method: string; attempt: number; delayMs: number; error: unknown }) => void;
  signal?: AbortSignal;
};

export function withRetry(client: RpcClient, parameters: RetryParameters): RpcClient {
  async function attempt<T>(method: string, call: () => Promise<T>): Promise<T> {
    for (let attemptNumber = 0; ; attemptNumber++) {
      try {
        return await call();
      } catch (error) {
        if (isRangeTooLarge(error)) throw error;
        if (attemptNumber >= parameters.retriesMax) {
          throw new RpcUnavailableError(client.label, method, attemptNumber + 1, error);
        }
        if (parameters.signal?.aborted) throw error;
        const ceiling = Math.min(parameters.backoffMsMax, parameters.backoffMs * 2 ** attemptNumber);
        // Full jitter keeps several indexers (or ranges) from retrying in lockstep.
        const delayMs = Math.max(1, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
        parameters.onRetry?.({ method, attempt: attemptNumber + 1, delayMs, error });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
  return {
    label: client.label,
    request: <T>(request: RpcRequest) => attempt(request.method, () => client.request<T>(request)),
    batch: <T>(requests: RpcRequest[]) => attempt(requests[0]?.method ?? "batch", () => client.batch<T>(requests)),
  };
}
