// @keyledger/sdk: a typed client of the Keyledger API. The types (schema.d.ts) are generated
// from api/openapi.json by `npm run openapi` (openapi-typescript); requests go through
// openapi-fetch, so every path, parameter, body and answer is checked by the compiler against
// the contract the server's test suite holds it to. Authenticated by a scoped API key
// (docs/api-keys.md). Plain TypeScript with erasable syntax only: Node 22 runs it as it is.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.d.ts";

export type { components, paths };
export type KeyledgerClient = Client<paths>;
/** The API's error body: `{ code, message, details }`. */
export type KeyledgerErrorBody = components["schemas"]["Error"];

export type KeyledgerClientOptions = {
  /** The platform's origin, e.g. https://shop.example (paths start with /api). */
  baseUrl: string;
  /** An API key, `kl_live_…`, with the scopes the calls need. */
  apiKey: string;
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: (input: Request) => Promise<Response>;
};

/** A typed client: `client.GET("/api/shops/{shopId}/orders", { params: { path: { shopId } } })`. */
export function createKeyledgerClient(options: KeyledgerClientOptions): KeyledgerClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: { authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** An answer that was not a success, with the API's code (e.g. api_key_scope, validation_failed). */
export class KeyledgerError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, body: Partial<KeyledgerErrorBody> | undefined) {
    super(`${status} ${body?.code ?? "error"}: ${body?.message ?? "no message"}`);
    this.name = "KeyledgerError";
    this.status = status;
    this.code = body?.code ?? "unknown";
    this.details = body?.details;
  }
}

/** The data of a success, or a KeyledgerError: `const shop = ok(await client.GET(...))`. */
export function ok<Data>(result: { data?: Data; error?: unknown; response: Response }): Data {
  if (result.error !== undefined || !result.response.ok) throw new KeyledgerError(result.response.status, result.error as Partial<KeyledgerErrorBody>);
  return result.data as Data;
}

/**
 * Imports keys into a product (scope `keys:import`): one key a line, as the API takes them. The
 * answer names the import, whose progress `GET /api/imports/{importId}` reports.
 */
export function importKeys(client: KeyledgerClient, productId: string, keys: readonly string[]) {
  return client.POST("/api/products/{productId}/imports", {
    params: { path: { productId } },
    body: keys.join("\n"),
    headers: { "content-type": "text/plain" },
    bodySerializer: (body: string) => body,
  });
}
