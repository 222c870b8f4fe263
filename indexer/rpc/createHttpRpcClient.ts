// A JSON-RPC client over HTTP with a per-request timeout and a response size cap. It does not
// retry: withRetry wraps it, so the fault-injecting wrapper in tests can sit between the two.
import { RpcRequestError, RpcResponseTooLargeError, isTooManyResults } from "./errors.ts";
import { redactUrl } from "./redactUrl.ts";
import type { RpcClient, RpcRequest } from "./types.ts";

export type HttpRpcClientParameters = { url: string; timeoutMs: number; responseBytesMax: number };

type JsonRpcResponse = { id: number; result?: unknown; error?: { code: number; message: string } };

export function createHttpRpcClient({ url, timeoutMs, responseBytesMax }: HttpRpcClientParameters): RpcClient {
  const label = redactUrl(url);
  // fetch refuses URLs with credentials: user:password moves to a Basic authorization header.
  const target = new URL(url);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.username || target.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString("base64")}`;
    target.username = "";
    target.password = "";
  }
  const endpoint = target.toString();
  let nextId = 1;

  async function post(body: unknown, method: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      // fetch errors can carry the URL (with credentials) in their message: report the label.
      const reason = error instanceof Error && error.name === "TimeoutError" ? `timed out after ${timeoutMs} ms` : "network error";
      throw new RpcRequestError(method, `${reason} (${label})`);
    }
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (declared > responseBytesMax) {
      await response.body?.cancel();
      throw new RpcResponseTooLargeError(method, declared, responseBytesMax);
    }
    const text = await response.text();
    if (text.length > responseBytesMax) throw new RpcResponseTooLargeError(method, text.length, responseBytesMax);
    if (!response.ok) {
      throw new RpcRequestError(method, `HTTP ${response.status} (${label})`, {
        tooManyResults: method.startsWith("eth_getLogs") && (response.status === 413 || isTooManyResults(text.slice(0, 300))),
      });
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new RpcRequestError(method, `invalid JSON in the response (${label})`);
    }
  }

  function unwrap<T>(method: string, answer: JsonRpcResponse | undefined): T {
    if (!answer) throw new RpcRequestError(method, `no answer in the batch response (${label})`);
    if (answer.error) {
      throw new RpcRequestError(method, `${answer.error.code}: ${answer.error.message}`, {
        rpcCode: answer.error.code,
        // Only a log query can be "too big"; for any other method such an error is a plain failure.
        tooManyResults: method === "eth_getLogs" && isTooManyResults(answer.error.message),
      });
    }
    return answer.result as T;
  }

  return {
    label,
    async request<T>({ method, params }: RpcRequest): Promise<T> {
      const id = nextId++;
      const answer = (await post({ jsonrpc: "2.0", id, method, params }, method)) as JsonRpcResponse;
      return unwrap<T>(method, answer);
    },
    async batch<T>(requests: RpcRequest[]): Promise<T[]> {
      if (requests.length === 0) return [];
      const first = nextId;
      nextId += requests.length;
      const body = requests.map(({ method, params }, offset) => ({ jsonrpc: "2.0", id: first + offset, method, params }));
      const method = `${requests[0]!.method} (batch of ${requests.length})`;
      const answers = (await post(body, method)) as JsonRpcResponse[] | JsonRpcResponse;
      if (!Array.isArray(answers)) return [unwrap<T>(method, answers)];
      const byId = new Map(answers.map((answer) => [answer.id, answer]));
      return requests.map((request, offset) => unwrap<T>(request.method, byId.get(first + offset)));
    },
  };
}
