// The OpenAPI 3.1 document, generated from the zod schemas each route declares
// (api/http/route.ts). zod 4 emits JSON Schema 2020-12, which is what OpenAPI 3.1 uses.
import { z } from "zod";
import type { RegisteredRoute } from "./route.ts";

const errorSchema = {
  type: "object",
  required: ["code", "message", "details"],
  properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
};

export function buildOpenApiDocument(routes: RegisteredRoute[], info: { version: string; serverUrl?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.fullPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const parameters = [
      ...schemaParameters(route.params, "path"),
      ...schemaParameters(route.query, "query"),
      ...schemaParameters(route.documentedQuery, "query"),
    ];
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: route.tags,
      parameters,
      responses: {
        [String(route.status ?? 200)]: {
          description: "Success",
          ...(route.response ? { content: { "application/json": { schema: toSchema(route.response, "output") } } } : {}),
        },
        "4XX": { description: "Bad input: `{ code, message, details }`", content: { "application/json": { schema: errorSchema } } },
      },
    };
    if (route.auth !== "public") operation.security = [{ bearer: [] }];
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
      description: "A card-key shop that proves what it sells. Errors are JSON `{ code, message, details }`. Money amounts are decimal strings of integer minor units.",
    },
    servers: info.serverUrl ? [{ url: info.serverUrl }] : [],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}

function toSchema(schema: z.ZodType, io: "input" | "output"): unknown {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
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

export function docsPage(specUrl: string): string {
  // A dependency-free page: the document rendered as a readable list, no CDN (no network here).
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Keyledger API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}pre{padding:.6rem;overflow:auto}
h2{margin-top:2rem;border-bottom:1px solid #ddd}.m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}
details{margin:.4rem 0}</style></head><body><h1>Keyledger API</h1>
<p>The OpenAPI 3.1 document: <a href="${specUrl}">${specUrl}</a>. Errors are <code>{ code, message, details }</code>.</p>
<div id="ops">Loading…</div><script>
fetch(${JSON.stringify(specUrl)}).then(r=>r.json()).then(doc=>{const byTag={};
for(const [path,ops] of Object.entries(doc.paths))for(const [method,op] of Object.entries(ops)){const tag=(op.tags||['other'])[0];(byTag[tag]??=[]).push({path,method,op})}
const esc=s=>String(s).replace(/[&<>]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
document.getElementById('ops').innerHTML=Object.entries(byTag).map(([tag,list])=>'<h2>'+esc(tag)+'</h2>'+list.map(({path,method,op})=>
'<details><summary><span class="m">'+method+'</span> <code>'+esc(path)+'</code> '+esc(op.summary||'')+(op.security?' 🔒':'')+'</summary><pre>'+esc(JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2))+'</pre></details>').join('')).join('')});
</script></body></html>`;
}
