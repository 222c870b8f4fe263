// Lean routes: the sale's three hot routes (checkout, the payment notification, the order page)
// answered straight from node:http, ahead of Express, in the common case.
//
// Why: Express 5's fixed CPU cost per request, before any handler runs (its router, and the
// request and response objects it re-prototypes), is several times that of the same answer from
// node:http (`npm run bench:http`; the current figures are in the README's benchmark table).
// When the lean path was added, a sale's four requests spent about 1 ms of the 14.6 ms a sale
// then cost the whole machine in that overhead, a quarter of the API process's CPU.
//
// Nothing here is a second implementation: a lean route is declared once (defineLeanRoute),
// with the same zod schemas, the same handler and the same error mapping as every route, and
// it stays mounted in Express too. The lean dispatcher takes only requests whose every detail
// it reproduces exactly: the exact path, GET or POST, a JSON body of a stated length within the
// limit and without content encoding, no percent-escapes in path parameters. Everything else
// (HEAD, a trailing slash, other case, form bodies, compressed or oversized bodies) falls
// through to Express, whose answer is the reference.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import querystring from "node:querystring";
import type { Express, Request, Response, Router } from "express";
import type { z } from "zod";
import type { Drizzle } from "../../core/store/database.ts";
import type { Logger } from "../../core/logger.ts";
import { resolveSession } from "../services/accounts/sessions.ts";
import { AppError } from "../../core/errors.ts";
import { toJson } from "../../core/json.ts";
import type { AuthenticatedAccount } from "../services/accounts/sessions.ts";
import { requireKeyScope, sessionToken } from "./auth.ts";
import { looksLikeApiKey } from "../services/apiKeys/apiKeySecret.ts";
import { answerClientErrorsAsJson } from "./clientErrors.ts";
import { clientAddressOf } from "./clientAddress.ts";
import { errorResponse } from "./errorHandler.ts";
import { trackRequestsForClose } from "./gracefulClose.ts";
import { labelRoute, observeRequests, type RequestListener } from "./requestObservation.ts";
import type { Histogram } from "prom-client";
import { parsePart, registerRoute, type RouteSpec } from "./route.ts";
import { checkJsonResponse, checkResponse, responseCheckEnabled, type CheckedOperation } from "./responseCheck.ts";

/** What a lean route's handler sees of its request: no Express objects, so it runs on both paths. */
export type LeanRouteInput<Body, Query, Params> = {
  body: Body extends z.ZodType ? z.output<Body> : undefined;
  query: Query extends z.ZodType ? z.output<Query> : undefined;
  params: Params extends z.ZodType ? z.output<Params> : undefined;
  /** The query as sent, for a route that validates it itself (EPay's parameters). */
  rawQuery: Record<string, unknown>;
  account: AuthenticatedAccount | undefined;
  header(name: string): string | undefined;
  /** The client's address (Express's req.ip: X-Forwarded-For only from a proxy on this machine). */
  clientAddress: string | undefined;
  /** Called when the client goes away before the answer (a long poll stops waiting). */
  onClose(listener: () => void): void;
};

/** A plain-text answer instead of JSON (EPay reads exactly "success"). */
export class PlainText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

type LeanHandler = (input: LeanRouteInput<z.ZodType, z.ZodType, z.ZodType>) => Promise<unknown>;

type LeanRoute = {
  method: "GET" | "POST";
  /** Path segments under the mount path; ":name" is a parameter. */
  segments: string[];
  spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
  handler: LeanHandler;
  /** For the response check (api/http/responseCheck.ts). */
  operation: CheckedOperation;
};

const routesOfRouter = new WeakMap<Router, LeanRoute[]>();
const dispatchers = new WeakMap<Express, LeanDispatcher>();

/**
 * Declares a route served by Express and by the lean dispatcher alike. Only public routes with
 * a JSON body or none: what the dispatcher reproduces exactly.
 */
export function defineLeanRoute<
  Body extends z.ZodType | undefined = undefined,
  Query extends z.ZodType | undefined = undefined,
  Params extends z.ZodType | undefined = undefined,
>(
  router: Router,
  mountPath: string,
  spec: RouteSpec<Body, Query, Params> & { method: "get" | "post"; auth: "public" },
  handler: (input: LeanRouteInput<Body, Query, Params>) => Promise<unknown>,
): void {
  registerRoute(mountPath, spec);
  const route: LeanRoute = {
    method: spec.method === "get" ? "GET" : "POST",
    segments: `${mountPath}${spec.path}`.split("/").slice(1),
    spec: spec as LeanRoute["spec"],
    handler: handler as LeanHandler,
    operation: { method: spec.method, path: `${mountPath}${spec.path}` },
  };
  const routes = routesOfRouter.get(router) ?? [];
  routes.push(route);
  routesOfRouter.set(router, routes);
  router[spec.method](spec.path, async (req: Request, res: Response) => {
    if (responseCheckEnabled) res.locals.operation = route.operation;
    labelRoute(res, route.operation.path);
    requireKeyScope(req.apiKey, spec.scope, `${spec.method.toUpperCase()} ${route.operation.path}`);
    const answer = await runRoute(route, {
      body: req.body ?? {},
      query: { ...req.query },
      params: { ...req.params },
      account: req.account,
      header: (name) => req.get(name),
      clientAddress: req.ip,
      onClose: (listener) => req.once("close", listener),
    });
    if (answer instanceof PlainText) res.type("text/plain").send(answer.text);
    else
      res
        .status(spec.status ?? 200)
        .type("application/json")
        .send(answer);
  });
}

/** A request's parts before validation, from either path. */
type RawInput = Pick<LeanRouteInput<unknown, unknown, unknown>, "account" | "header" | "clientAddress" | "onClose"> & {
  body: unknown;
  query: Record<string, unknown>;
  params: Record<string, unknown>;
};

/** Validates the parts, runs the handler, and gives back the JSON text or a PlainText. */
async function runRoute(route: LeanRoute, raw: RawInput): Promise<string | PlainText> {
  const { spec } = route;
  const result = await route.handler({
    body: parsePart(spec.body, raw.body, "body"),
    query: parsePart(spec.query, raw.query, "query"),
    params: parsePart(spec.params, raw.params, "params"),
    rawQuery: raw.query,
    account: raw.account,
    header: raw.header,
    clientAddress: raw.clientAddress,
    onClose: raw.onClose,
  });
  if (result instanceof PlainText) {
    if (responseCheckEnabled) checkResponse(route.operation, 200, result.text, spec.response);
    return result;
  }
  const text = toJson(result);
  if (responseCheckEnabled) checkJsonResponse(route.operation, spec.status ?? 200, text, spec.response);
  return text;
}

export type LeanDispatcher = {
  /** Answers the request and returns true, or returns false having touched nothing. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Requests answered here so far. */
  served(): number;
};

type DispatcherOptions = {
  db: Drizzle;
  logger: Logger;
  bodyLimitBytes: number;
  /** Headers every answer carries (the security headers Express's middleware sets). */
  headers: Record<string, string>;
};

/** Answers the lean routes of these routers (mounted on `app`) ahead of Express, once `app` is served by createHttpServer. */
export function serveLeanRoutes(app: Express, routers: Router[], options: DispatcherOptions): void {
  dispatchers.set(app, createLeanDispatcher(routers, options));
}

/** The dispatcher for the lean routes of these routers; false means "Express, please". */
function createLeanDispatcher(routers: Router[], options: DispatcherOptions): LeanDispatcher {
  const routes = routers.flatMap((router) => routesOfRouter.get(router) ?? []);
  let served = 0;
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? "";
    const queryAt = url.indexOf("?");
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const segments = path.split("/").slice(1);
    for (const route of routes) {
      if (route.method !== req.method || route.segments.length !== segments.length) continue;
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (!acceptsBody(req, route, options.bodyLimitBytes)) return false;
      // An API key is authenticated, throttled and audited by Express's middleware (auth.ts).
      const token = sessionToken(req);
      if (token && looksLikeApiKey(token)) return false;
      served += 1;
      void serve(route, req, res, params, queryAt < 0 ? "" : url.slice(queryAt + 1), options);
      return true;
    }
    return false;
  };
  return { handle, served: () => served };
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const actual = segments[i]!;
    if (expected.startsWith(":")) {
      // Empty or escaped parameters are Express's to decode and refuse.
      if (!actual || actual.includes("%")) return undefined;
      params[expected.slice(1)] = actual;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

/** A GET without a body, or a POST with a JSON body of a stated length within the limit. */
function acceptsBody(req: IncomingMessage, route: LeanRoute, limit: number): boolean {
  const length = req.headers["content-length"];
  if (req.headers["transfer-encoding"] !== undefined || req.headers["content-encoding"] !== undefined) return false;
  if (route.method === "GET") return length === undefined || length === "0";
  if (length === undefined || !/^[1-9][0-9]*$/.test(length) || Number(length) > limit) return false;
  const type = req.headers["content-type"]?.toLowerCase().replaceAll(" ", "");
  return type === "application/json" || type === "application/json;charset=utf-8";
}

async function serve(
  route: LeanRoute,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  rawQuery: string,
  options: DispatcherOptions,
) {
  labelRoute(res, route.operation.path);
  let answer: { status: number; text: string; type: string; headers?: Record<string, string> };
  try {
    const body = route.method === "POST" ? parseJsonBody(await readBody(req)) : {};
    const token = sessionToken(req);
    const result = await runRoute(route, {
      body,
      query: { ...querystring.parse(rawQuery) },
      params,
      account: token ? await resolveSession(options.db, token) : undefined,
      header: (name) => headerValue(req, name),
      clientAddress: clientAddressOf(req),
      onClose: (listener) => req.once("close", listener),
    });
    answer =
      result instanceof PlainText
        ? { status: 200, text: result.text, type: "text/plain; charset=utf-8" }
        : { status: route.spec.status ?? 200, text: result, type: "application/json; charset=utf-8" };
  } catch (error) {
    // The path only: a query may carry an order's access token or a payment's signature.
    const failed = errorResponse(error, options.logger, { method: req.method ?? "", path: (req.url ?? "").split("?")[0]! });
    answer = { status: failed.status, text: toJson(failed.body), type: "application/json; charset=utf-8", headers: failed.headers };
    if (responseCheckEnabled) checkJsonResponse(route.operation, answer.status, answer.text, undefined);
  }
  if (res.headersSent || res.destroyed) return;
  res.writeHead(answer.status, { ...options.headers, ...answer.headers, "content-type": answer.type, "content-length": Buffer.byteLength(answer.text) });
  res.end(answer.text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    // A client gone before its body ended ("aborted"): a 4xx nobody reads, not an error to log
    // (as body-parser's request.aborted in Express).
    const ended = () => reject(new AppError("bad_request", "The request body ended before its stated length."));
    req.on("error", ended);
    req.on("close", () => {
      if (!req.complete) ended();
    });
  });
}

// As express.json({ strict: true }) reads a body: an object or an array, or invalid JSON.
function parseJsonBody(text: string): unknown {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: JSON's whitespace (RFC 8259) is exactly space, tab, line feed and carriage return
  const first = /^[\x20\x09\x0a\x0d]*(.)/s.exec(text)?.[1];
  try {
    if (first !== "{" && first !== "[") throw new SyntaxError("not an object or array");
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_json", "The request body is not valid JSON.");
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The headers an Express middleware sets on every answer (helmet's), read once at start. */
export function headersSetBy(middleware: (req: never, res: never, next: (error?: unknown) => void) => void): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  // Stand-ins for Node's request and response: the middleware only sets, removes and reads headers.
  middleware({ headers: {}, method: "GET", url: "/" } as never, recorder as never, () => {});
  return headers;
}

export function leanDispatcherOf(app: Express): LeanDispatcher | undefined {
  return dispatchers.get(app);
}

/**
 * The HTTP server for `app` (instead of app.listen): its lean routes first, Express for the rest.
 * Close it with closeHttpServer (api/http/gracefulClose.ts).
 */
export function createHttpServer(app: Express): Server {
  const lean = dispatchers.get(app);
  const listener: RequestListener = lean
    ? (req, res) => {
        if (!lean.handle(req, res)) app(req, res);
      }
    : app;
  return trackRequestsForClose(answerClientErrorsAsJson(createServer(observeRequests(listener, requestLatencyOf(app)))));
}

const requestLatencies = new WeakMap<Express, Histogram<"method" | "route" | "status_code">>();

/** The histogram createHttpServer records `app`'s request latencies in (createApp sets it). */
export function recordRequestLatency(app: Express, latency: Histogram<"method" | "route" | "status_code">): void {
  requestLatencies.set(app, latency);
}

function requestLatencyOf(app: Express): Histogram<"method" | "route" | "status_code"> | undefined {
  return requestLatencies.get(app);
}
