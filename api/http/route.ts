// Routes are declared once with their zod schemas; the declaration validates requests
// (strictly: unknown fields are errors), feeds the OpenAPI document (api/http/openapi.ts), and,
// in the test suites, checks every answer against the declared response (api/http/responseCheck.ts).
// A handler receives parsed input and returns the response body; Express 5 forwards a
// rejected promise to the error handler, so handlers just throw AppError.
import type { Request, Response, Router } from "express";
import type { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { ApiKeyScope, Role } from "../../core/roles.ts";
import type { AuthenticatedAccount } from "../services/accounts/sessions.ts";
import { requireAccount, requireKeyScope } from "./auth.ts";
import { toJson } from "../../core/json.ts";
import { checkJsonResponse, checkResponse, responseCheckEnabled } from "./responseCheck.ts";
import { refuseControlCharacters } from "./schemas.ts";
import { labelRoute } from "./requestObservation.ts";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export type RouteSpec<Body extends z.ZodType | undefined, Query extends z.ZodType | undefined, Params extends z.ZodType | undefined> = {
  method: HttpMethod;
  /** Express path, e.g. "/shops/:shopId/products". */
  path: string;
  summary: string;
  tags: string[];
  /** "public" needs no session; "account" any signed-in account; a role list needs one of them. */
  auth: "public" | "account" | Role[];
  /**
   * The API-key scope that opens this route to a key (docs/api-keys.md); without one, every API
   * key is refused (403 api_key_scope). A key still needs what `auth` asks of its owner.
   */
  scope?: ApiKeyScope;
  body?: Body;
  query?: Query;
  params?: Params;
  /**
   * The success answer's body (JSON as the client receives it: bigints and dates as strings);
   * `noContent` for a 204, a string schema for text. Checked against every answer in the test
   * suites; api/http/responses/ holds the shared ones.
   */
  response: z.ZodType;
  /**
   * The success answer's content type when it is not JSON (EPay's `success`, HTML pages): the
   * handler returns the text. A stream (server-sent events) or a file download writes the
   * answer itself and returns nothing.
   */
  responseType?: "text/plain" | "text/html" | "text/event-stream" | "application/octet-stream";
  /** Another representation of the same answer, chosen by a query parameter (e.g. CSV). */
  alternativeResponse?: { contentType: "text/csv"; schema: z.ZodType };
  status?: number;
  /** Raw text body (e.g. key imports) instead of JSON; documented as rawBodyTypes. */
  rawBody?: boolean;
  /** The content types a raw body may have, for the OpenAPI document (default text/plain). */
  rawBodyTypes?: readonly string[];
  /**
   * Documents fields a handler reads itself instead of through `query` or `body`: a payment
   * gateway's signed notification, whose fields the signature check must see as sent. Listed
   * in the OpenAPI document (query parameters, or a form body), not enforced here.
   */
  documentedQuery?: z.ZodType;
  documentedFormBody?: z.ZodType;
};

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export type RouteInput<Body, Query, Params> = {
  body: Infer<Body>;
  query: Infer<Query>;
  params: Infer<Params>;
  account: AuthenticatedAccount | undefined;
  req: Request;
  res: Response;
};

export type RegisteredRoute = RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined> & {
  fullPath: string;
};

/** Every declared route, for the OpenAPI document. */
export const routeRegistry: RegisteredRoute[] = [];

export function defineRoute<
  Body extends z.ZodType | undefined = undefined,
  Query extends z.ZodType | undefined = undefined,
  Params extends z.ZodType | undefined = undefined,
>(router: Router, mountPath: string, spec: RouteSpec<Body, Query, Params>, handler: (input: RouteInput<Body, Query, Params>) => Promise<unknown>): void {
  registerRoute(mountPath, spec);
  const operation = { method: spec.method, path: `${mountPath}${spec.path}` };
  router[spec.method](spec.path, async (req: Request, res: Response) => {
    // For the error handler's check of an error answer: which declared operation it belongs to.
    if (responseCheckEnabled) res.locals.operation = operation;
    labelRoute(res, operation.path);
    requireKeyScope(req.apiKey, spec.scope, `${spec.method.toUpperCase()} ${operation.path}`);
    const account = spec.auth === "public" ? req.account : requireAccount(req, spec.auth === "account" ? undefined : spec.auth);
    const input = {
      body: parsePart(spec.body, spec.rawBody ? req.body : (req.body ?? {}), "body"),
      query: parsePart(spec.query, { ...req.query }, "query"),
      params: parsePart(spec.params, { ...req.params }, "params"),
      account,
      req,
      res,
    } as RouteInput<Body, Query, Params>;
    const result = await handler(input);
    if (res.headersSent) return;
    if (result === undefined) {
      if (responseCheckEnabled) checkJsonResponse(operation, spec.status ?? 204, "", spec.response);
      res.status(spec.status ?? 204).end();
      return;
    }
    if (spec.responseType) {
      // A text answer (EPay's `success`, an HTML page): the handler returns the text itself.
      if (responseCheckEnabled) checkResponse(operation, spec.status ?? 200, result, spec.response);
      res
        .status(spec.status ?? 200)
        .type(spec.responseType)
        .send(String(result));
      return;
    }
    const text = toJson(result);
    if (responseCheckEnabled) checkJsonResponse(operation, spec.status ?? 200, text, spec.response);
    res
      .status(spec.status ?? 200)
      .type("application/json")
      .send(text);
  });
}

/** Adds a route to the OpenAPI registry (once: routers are built again for every app). */
export function registerRoute(mountPath: string, spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>): void {
  const fullPath = `${mountPath}${spec.path}`;
  if (!routeRegistry.some((route) => route.fullPath === fullPath && route.method === spec.method)) {
    routeRegistry.push({ ...(spec as RegisteredRoute), fullPath });
  }
}

export function parsePart(schema: z.ZodType | undefined, value: unknown, part: string): unknown {
  if (!schema) return undefined;
  refuseControlCharacters(value, part);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AppError("validation_failed", describeIssues(parsed.error, part), {
      details: parsed.error.issues.map((issue) => ({
        location: part,
        path: issue.path.join("."),
        code: issue.code,
        message: issue.message,
      })),
    });
  }
  return parsed.data;
}

function describeIssues(error: z.ZodError, part: string): string {
  const first = error.issues[0]!;
  const where = first.path.length ? `${part}.${first.path.join(".")}` : part;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s), see details)` : "";
  return `Invalid ${where}: ${first.message}${more}`;
}
