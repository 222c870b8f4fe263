// Routes are declared once with their zod schemas; the declaration both validates requests
// (strictly: unknown fields are errors) and feeds the OpenAPI document (api/http/openapi.ts).
// A handler receives parsed input and returns the response body; Express 5 forwards a
// rejected promise to the error handler, so handlers just throw AppError.
import type { Request, Response, Router } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { requireAccount, type AuthenticatedAccount, type Role } from "./auth.ts";
import { toJson } from "../json.ts";
import { refuseControlCharacters } from "./schemas.ts";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export type RouteSpec<
  Body extends z.ZodType | undefined,
  Query extends z.ZodType | undefined,
  Params extends z.ZodType | undefined,
> = {
  method: HttpMethod;
  /** Express path, e.g. "/shops/:shopId/products". */
  path: string;
  summary: string;
  tags: string[];
  /** "public" needs no session; "account" any signed-in account; a role list needs one of them. */
  auth: "public" | "account" | Role[];
  body?: Body;
  query?: Query;
  params?: Params;
  /** Documents the success response; not enforced at run time. */
  response?: z.ZodType;
  status?: number;
  /** Raw text body (e.g. key imports) instead of JSON; documented as text/plain. */
  rawBody?: boolean;
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
>(
  router: Router,
  mountPath: string,
  spec: RouteSpec<Body, Query, Params>,
  handler: (input: RouteInput<Body, Query, Params>) => Promise<unknown>,
): void {
  registerRoute(mountPath, spec);
  router[spec.method](spec.path, async (req: Request, res: Response) => {
    const account = spec.auth === "public" ? req.account : requireAccount(req, spec.auth === "account" ? undefined : spec.auth);
    const input = {
      body: parsePart(spec.body, spec.rawBody ? req.body : req.body ?? {}, "body"),
      query: parsePart(spec.query, { ...req.query }, "query"),
      params: parsePart(spec.params, { ...req.params }, "params"),
      account,
      req,
      res,
    } as RouteInput<Body, Query, Params>;
    const result = await handler(input);
    if (res.headersSent) return;
    if (result === undefined) {
      res.status(spec.status ?? 204).end();
      return;
    }
    res
      .status(spec.status ?? 200)
      .type("application/json")
      .send(toJson(result));
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
