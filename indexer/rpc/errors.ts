// RPC failures, classified so callers decide by type and never by message text:
// - RpcResponseTooLargeError: the range asked for too much; split it (not a node fault).
// - RpcRequestError: the node answered with a JSON-RPC error or an HTTP error, or timed out.
// - RpcUnavailableError: bounded retries are spent; the indexer stops with this message.
export class RpcRequestError extends Error {
  readonly method: string;
  readonly rpcCode: number | undefined;
  /** The node says the result set is too big (providers: -32005 "limit exceeded", "query returned more than 10000 results"). */
  readonly tooManyResults: boolean;
  constructor(method: string, message: string, options: { rpcCode?: number; tooManyResults?: boolean; cause?: unknown } = {}) {
    super(`${method} failed: ${message}`, { cause: options.cause });
    this.name = "RpcRequestError";
    this.method = method;
    this.rpcCode = options.rpcCode;
    this.tooManyResults = options.tooManyResults ?? false;
  }
}

export class RpcResponseTooLargeError extends Error {
  readonly method: string;
  constructor(method: string, bytes: number, bytesMax: number) {
    super(`${method} response is larger than ${bytesMax} bytes (${bytes}); ask for a smaller block range`);
    this.name = "RpcResponseTooLargeError";
    this.method = method;
  }
}

export class RpcUnavailableError extends Error {
  constructor(label: string, method: string, attempts: number, cause: unknown) {
    super(
      `RPC ${label} failed ${attempts} times in a row on ${method}; giving up. ` +
        `Check that the node is reachable and healthy, or raise INDEXER_RPC_RETRIES_MAX. ` +
        `Last error: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = "RpcUnavailableError";
  }
}

// Provider messages that mean "ask for fewer logs". Providers differ; this pattern covers the
// known set (Alchemy, Infura, QuickNode, geth, erigon, reth). Their JSON-RPC codes (-32005,
// -32602, -32011) are shared with unrelated errors, so the message decides.
const tooManyResultsPattern = /(too many|more than \d+|limit exceeded|response size|range (is )?too (large|wide)|block range|query timeout|exceed)/i;

export function isTooManyResults(message: string): boolean {
  return tooManyResultsPattern.test(message);
}

/** The node refused a log query as too big (by status, message or response size): split it. */
export function isRangeTooLarge(error: unknown): boolean {
  return error instanceof RpcResponseTooLargeError || (error instanceof RpcRequestError && error.tooManyResults);
}
