// The web app's only door to the platform: HTTP to /api. Errors arrive as
// { code, message, details } and become ApiError, so screens can say what to do next.
export type ApiErrorBody = { code: string; message: string; details?: unknown };

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = "ApiError";
    this.code = body.code;
    this.status = status;
    this.details = body.details;
  }
}

export type RequestOptions = {
  body?: unknown;
  /** Raw text body (key imports) with its content type instead of JSON. */
  text?: { content: string; contentType: "text/plain" | "text/csv" };
  signal?: AbortSignal;
  headers?: Record<string, string>;
};

export type ApiClient = {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
};

/** A client bound to a session token source (the signed-in account, if any). */
export function createApiClient(settings: { baseUrl: string; token: () => string | undefined }): ApiClient {
  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    const token = settings.token();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.text) {
      headers["content-type"] = options.text.contentType;
      body = options.text.content;
    } else if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await fetch(settings.baseUrl + path, { method, headers, body, signal: options.signal });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError(0, { code: "network_error", message: "The server could not be reached. Check your connection and try again." });
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const errorBody = isErrorBody(parsed) ? parsed : { code: `http_${response.status}`, message: `The server answered ${response.status}.` };
      throw new ApiError(response.status, errorBody);
    }
    return parsed as T;
  }
  return {
    request,
    get: (path, signal) => request("GET", path, { signal }),
    post: (path, body) => request("POST", path, { body }),
  };
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === "object" && value !== null && typeof (value as ApiErrorBody).code === "string" && typeof (value as ApiErrorBody).message === "string";
}
