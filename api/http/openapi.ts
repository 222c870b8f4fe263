// The OpenAPI 3.1 document, generated from the zod schemas each route declares
// (api/http/route.ts): request parameters and bodies, and every answer: the success body with
// its status, and the shared error body for 4xx and 5xx. zod 4 emits JSON Schema 2020-12, which
// is what OpenAPI 3.1 uses. `npm run openapi` writes it to api/openapi.json, from which the web
// app's types are generated (web/src/api/schema.d.ts).
import { z } from "zod";
import type { RegisteredRoute } from "./route.ts";
import { noContent } from "./responses/common.ts";
import { namedSchemas } from "./responses/components.ts";

type JsonSchema = Record<string, unknown>;

const componentRef = (id: string) => `#/components/schemas/${id}`;
const errorContent = { "application/json": { schema: { $ref: componentRef("Error") } } };

/** The document for these routes (those under /api: the sandbox gateway is not part of the API). */
export function buildOpenApiDocument(routes: RegisteredRoute[], info: { version: string; serverUrl?: string }) {
  const apiRoutes = routes.filter((route) => route.fullPath.startsWith("/api/")).sort(byPathThenMethod);
  const components = responseComponents(apiRoutes);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of apiRoutes) {
    const path = route.fullPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const parameters = [
      ...schemaParameters(route.params, "path"),
      ...schemaParameters(route.query, "query"),
      ...schemaParameters(route.documentedQuery, "query"),
    ];
    const operation: Record<string, unknown> = {
      operationId: operationId(route),
      summary: route.summary,
      tags: route.tags,
      ...(parameters.length ? { parameters } : {}),
      responses: {
        [String(route.status ?? (route.response === noContent ? 204 : 200))]: successResponse(route, components.idOf),
        "4XX": { description: "Bad input, missing rights or a state that refuses the request: `{ code, message, details }`", content: errorContent },
        "5XX": { description: "Our fault or a dependency's (`details.errorId` to quote)", content: errorContent },
      },
    };
    // A session (`bearer`) where the route needs an account; an API key (`apiKey`, listing the
    // scope it needs) where the route declares one; `{}` where no credential is needed at all.
    const security = [...(route.auth === "public" ? [{}] : [{ bearer: [] }]), ...(route.scope ? [{ apiKey: [route.scope] }] : [])];
    if (route.auth !== "public" || route.scope) operation.security = security;
    if (route.scope) operation["x-scope"] = route.scope;
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: route.rawBody
          ? Object.fromEntries((route.rawBodyTypes ?? ["text/plain"]).map((type) => [type, { schema: { type: "string" } }]))
          : { "application/json": { schema: toSchema(route.body, "input") } },
      };
    }
    if (route.documentedFormBody) {
      operation.requestBody = { required: true, content: { "application/x-www-form-urlencoded": { schema: toSchema(route.documentedFormBody, "input") } } };
    }
    paths[path] = { ...(paths[path] ?? {}), [route.method]: operation };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Keyledger API",
      version: info.version,
      description:
        "A card-key shop that proves what it sells. Errors are JSON `{ code, message, details }`. Money amounts are decimal strings of integer minor units. " +
        "Lists page by an opaque cursor: pass a page's `nextCursor` as `cursor` for the next one; it is null on the last page.",
    },
    servers: info.serverUrl ? [{ url: info.serverUrl }] : [],
    components: {
      schemas: components.schemas,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A session token from POST /api/auth/login." },
        apiKey: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "kl_live_<id>_<secret>",
          description:
            "An API key (POST /api/api-keys, docs/api-keys.md) sent as `Authorization: Bearer kl_live_…`. It opens only the operations whose `x-scope` it was granted; any other answers 403 `api_key_scope`.",
        },
      },
    },
    paths,
  };
}

function successResponse(route: RegisteredRoute, idOf: (schema: z.ZodType) => string | undefined) {
  if (route.response === noContent) return { description: describeStatus(route.status ?? 204) };
  const id = idOf(route.response);
  const schema = id ? { $ref: componentRef(id) } : toSchema(route.response, "output");
  const content: Record<string, { schema: unknown }> = { [route.responseType ?? "application/json"]: { schema } };
  if (route.alternativeResponse) content[route.alternativeResponse.contentType] = { schema: toSchema(route.alternativeResponse.schema, "output") };
  return { description: describeStatus(route.status ?? 200), content };
}

function describeStatus(status: number): string {
  return { 200: "OK", 201: "Created", 202: "Accepted: the work continues in the background", 204: "No content", 303: "See other" }[status] ?? String(status);
}

/**
 * components/schemas: the named shared schemas, and each route's JSON object answer named after
 * its operation; a schema used inside another becomes a $ref to its component.
 */
function responseComponents(routes: RegisteredRoute[]) {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(namedSchemas)) registry.add(schema, { id });
  for (const route of routes) {
    if (route.responseType || route.response === noContent || registry.has(route.response)) continue;
    const sharedWith = routes.find((other) => other !== route && other.response === route.response);
    if (sharedWith)
      throw new Error(
        `${route.method} ${route.fullPath} and ${sharedWith.method} ${sharedWith.fullPath} answer with one schema: name it in api/http/responses/components.ts.`,
      );
    registry.add(route.response, { id: `${upperFirst(operationId(route))}Response` });
  }
  const generated = z.toJSONSchema(registry, { io: "output", uri: componentRef, unrepresentable: "any" }) as { schemas: Record<string, JsonSchema> };
  const schemas: Record<string, JsonSchema> = {};
  for (const id of Object.keys(generated.schemas).sort()) {
    const { $schema: _schema, $id: _id, ...schema } = generated.schemas[id]!;
    schemas[id] = schema;
  }
  return { schemas, idOf: (schema: z.ZodType) => registry.get(schema)?.id };
}

/** get /api/shops/:shopId/products → getShopsShopIdProducts: stable, unique per method and path. */
function operationId(route: RegisteredRoute): string {
  const words = route.fullPath
    .replace(/^\/api\//, "")
    .split(/[/:._-]+/)
    .filter(Boolean);
  return route.method + words.map(upperFirst).join("");
}

function upperFirst(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function byPathThenMethod(a: RegisteredRoute, b: RegisteredRoute): number {
  return a.fullPath === b.fullPath ? a.method.localeCompare(b.method) : a.fullPath.localeCompare(b.fullPath);
}

function toSchema(schema: z.ZodType, io: "input" | "output"): unknown {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return json;
}

function schemaParameters(schema: z.ZodType | undefined, location: "path" | "query") {
  if (!schema) return [];
  const json = toSchema(schema, "input") as { properties?: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === "path" || (json.required ?? []).includes(name),
    ...(property.description ? { description: property.description } : {}),
    schema: property,
  }));
}
