// The web app's only door to the platform: HTTP to /api through a client generated from the
// API's OpenAPI document (api/openapi.json → schema.d.ts by `npm run openapi`), so every path,
// parameter, body and answer is typed by the contract the server checks its answers against.
// Errors arrive as { code, message, details } and become ApiError, so screens can say what to
// do next.
import createClient from "openapi-fetch";
import { captchaFetch } from "./captcha.ts";
import { deviceId } from "./deviceId.ts";
import type { components, paths } from "./schema.d.ts";

/**
 * The API's named shapes (Order, Product, Shop, …), generated from the document, as
 * openapi-fetch hands answers over: its Readable<> view turns a tuple (a certificate's leaf
 * fields) into an array, so the names here take the same view and an answer fits its name.
 */
export type Schemas = { [Name in keyof components["schemas"]]: AsAnswered<components["schemas"][Name]> };
type AsAnswered<T> = T extends (infer Element)[] ? AsAnswered<Element>[] : T extends object ? { [Key in keyof T]: AsAnswered<T[Key]> } : T;
export type ApiErrorBody = Schemas["Error"];

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(status: number, body: Pick<ApiErrorBody, "code" | "message"> & { details?: unknown }) {
    super(body.message);
    this.name = "ApiError";
    this.code = body.code;
    this.status = status;
    this.details = body.details;
  }
}

export type ApiClient = ReturnType<typeof createClient<paths>>;

/**
 * A client bound to a session token source (the signed-in account, if any). Requests that change
 * something carry the device id; a 428 captcha_required is solved and retried once (captcha.ts).
 */
export function createApiClient(settings: { baseUrl: string; token: () => string | undefined }): ApiClient {
  const client = createClient<paths>({ baseUrl: settings.baseUrl, headers: { accept: "application/json" }, fetch: captchaFetch(settings.baseUrl) });
  client.use({
    onRequest({ request }) {
      const token = settings.token();
      if (token) request.headers.set("authorization", `Bearer ${token}`);
      if (request.method !== "GET") request.headers.set("x-device-id", deviceId());
      return request;
    },
  });
  return client;
}

type Answer = { data?: unknown; error?: unknown; response: Response };

/**
 * The body of a 2xx answer, or an ApiError: the server's { code, message, details }, or
 * network_error when it could not be reached. An abort stays an AbortError.
 */
export async function answer<Result extends Answer>(pending: Promise<Result>): Promise<Exclude<Result["data"], undefined>> {
  let result: Result;
  try {
    result = await pending;
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, { code: "network_error", message: "The server could not be reached. Check your connection and try again." });
  }
  if (!result.response.ok) {
    const body = isErrorBody(result.error)
      ? result.error
      : { code: `http_${result.response.status}`, message: `The server answered ${result.response.status}.` };
    throw new ApiError(result.response.status, body);
  }
  return result.data as Exclude<Result["data"], undefined>;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === "object" && value !== null && typeof (value as ApiErrorBody).code === "string" && typeof (value as ApiErrorBody).message === "string";
}
