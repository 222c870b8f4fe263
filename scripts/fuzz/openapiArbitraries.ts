// fast-check arbitraries generated from the committed OpenAPI document (api/openapi.json): for
// every operation, requests whose path parameters, query strings, headers and bodies are either
// shaped like the declared schema (with edge values: huge and negative numbers, empty, NUL and
// control characters, RTL overrides, zero-width characters, very long strings, wrong types,
// extra fields) or arbitrary (any JSON, non-JSON text, wrong content types).
import fc from "fast-check";

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
};

type Parameter = { name: string; in: "path" | "query" | "header"; required?: boolean; schema: JsonSchema };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> }; security?: unknown[] };
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, JsonSchema> } };

export type FuzzOperation = { method: string; pathTemplate: string; operation: Operation };

/** A request as sent; `body` is the exact text (undefined: none). */
export type FuzzRequest = { method: string; path: string; headers: Record<string, string>; body: string | undefined };

/** Values of real fixtures, by path parameter name, and bearer tokens by role. */
export type FuzzFixtures = { ids: Record<string, string[]>; tokens: Record<string, string> };

export function operationsOf(document: OpenApiDocument): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [pathTemplate, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) operations.push({ method: method.toUpperCase(), pathTemplate, operation });
  }
  return operations;
}

// Strings that have broken parsers, databases and logs elsewhere.
const edgeStrings = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\u0001\u001f\u007f",
  "\r\n\t",
  "\u202Egnp.exe",
  "ab\u200Bcd",
  "\uFEFF",
  "名字 テスト",
  "🙂🙃",
  "\uD800",
  "x".repeat(10_000),
  "' OR 1=1 --",
  "<script>alert(1)</script>",
  "%00%2e%2e%2f",
  "../../etc/passwd",
  "null",
  "-1",
  "1e309",
  "0x00",
];
const edgeNumbers = [0, -1, 1, 1.5, -0.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, 1e-300];

const edgeString = fc.constantFrom(...edgeStrings);
const anyString = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }), edgeString);

/** Strings matching a pattern, when fast-check can read it; otherwise plain strings. */
function patternString(pattern: string | undefined): fc.Arbitrary<string> | undefined {
  if (!pattern) return undefined;
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    return undefined;
  }
}

function resolve(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  return document.components.schemas[name] ?? {};
}

/** Any JSON value with a wrong type for most schemas (and the right one by chance). */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom(null, true, false, [], {}, "", 0, -1, 1e308, "\u0000"), fc.jsonValue({ maxDepth: 2 }));

/**
 * An arbitrary shaped like `schema`: mostly valid values with edges mixed in, sometimes a value
 * of the wrong type, objects sometimes with an extra field or a required one missing.
 */
export function schemaValue(document: OpenApiDocument, input: JsonSchema, depth = 0, ids: FuzzFixtures["ids"] = {}): fc.Arbitrary<unknown> {
  const schema = resolve(document, input);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants && variants.length > 0) return fc.oneof(...variants.map((variant) => schemaValue(document, variant, depth, ids)));
  if (schema.allOf && schema.allOf.length > 0) return schemaValue(document, schema.allOf[0]!, depth, ids);
  if (schema.const !== undefined) return fc.oneof({ weight: 4, arbitrary: fc.constant(schema.const) }, { weight: 1, arbitrary: wrongType });
  if (schema.enum) return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: anyString });
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  let shaped: fc.Arbitrary<unknown>;
  switch (type) {
    case "string": {
      const matching = patternString(schema.pattern);
      const sized = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 60) });
      shaped = fc.oneof(
        { weight: 3, arbitrary: matching ?? sized },
        { weight: 1, arbitrary: sized },
        { weight: 2, arbitrary: edgeString },
        // Just past the declared length.
        { weight: 1, arbitrary: fc.constant("y".repeat((schema.maxLength ?? 200) + 1)) },
      );
      break;
    }
    case "integer":
    case "number": {
      const min = schema.minimum ?? -1_000_000;
      const max = Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER);
      shaped = fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }) },
        { weight: 2, arbitrary: fc.constantFrom(...edgeNumbers, min - 1, max + 1) },
        { weight: 1, arbitrary: fc.double() },
      );
      break;
    }
    case "boolean":
      shaped = fc.boolean();
      break;
    case "array":
      shaped =
        depth > 3 ? fc.constant([]) : fc.array(schemaValue(document, schema.items ?? {}, depth + 1, ids), { maxLength: Math.min(schema.maxItems ?? 5, 5) });
      break;
    case "object":
      shaped = depth > 3 ? fc.constant({}) : objectOf(document, schema, depth, ids);
      break;
    default:
      shaped = wrongType;
  }
  return fc.oneof({ weight: 6, arbitrary: shaped }, { weight: 1, arbitrary: wrongType });
}

function objectOf(document: OpenApiDocument, schema: JsonSchema, depth: number, ids: FuzzFixtures["ids"]): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  // A field named like a fixture (productId, orderId, contact, ...) often carries the real value,
  // so that requests get past "not found" to the code behind it.
  const property = (name: string, propertySchema: JsonSchema) => {
    const generated = schemaValue(document, propertySchema, depth + 1, ids);
    const real = ids[name] ?? [];
    return real.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...real) }, { weight: 2, arbitrary: generated }) : generated;
  };
  const required = new Set(schema.required ?? []);
  const record = fc.record(
    Object.fromEntries(Object.entries(properties).map(([name, propertySchema]) => [name, property(name, propertySchema)])),
    // Required fields are present most of the time: the record drops each one only in the variant below.
    { requiredKeys: [...required].filter((name) => name in properties) },
  );
  const looseRecord = fc.record(Object.fromEntries(Object.entries(properties).map(([name, propertySchema]) => [name, property(name, propertySchema)])), {
    requiredKeys: [],
  });
  return fc.oneof(
    { weight: 5, arbitrary: record },
    { weight: 1, arbitrary: looseRecord },
    // An extra field the schema does not declare.
    {
      weight: 1,
      arbitrary: fc
        .tuple(record, fc.constantFrom("extra", "__proto__", "constructor", "role", "roles", "\u0000"), wrongType)
        .map(([value, key, extra]) => ({ ...(value as object), [key]: extra })),
    },
  );
}

// Garbage for ids in paths: the wrong shape, too long, encoded separators, unicode.
const garbageIds = [
  "0",
  "-1",
  "1.5",
  "99999999999999999999999",
  "abc",
  "%00",
  "%2e%2e%2f",
  "..",
  "名",
  "KL",
  "x".repeat(2_000),
  "%F0%9F%99%82",
  "1%20OR%201=1",
];

/** A lone surrogate cannot be percent-encoded (URIError): it becomes U+FFFD, as UTF-8 encoders do. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

function pathParameterOf(document: OpenApiDocument, parameter: Parameter, fixtures: FuzzFixtures): fc.Arbitrary<string> {
  const real = fixtures.ids[parameter.name] ?? [];
  const shaped = schemaValue(document, parameter.schema).map((value) =>
    encodeURIComponent(wellFormed(typeof value === "string" ? value : (JSON.stringify(value) ?? ""))),
  );
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 2, arbitrary: shaped },
    { weight: 1, arbitrary: fc.constantFrom(...garbageIds) },
  ];
  if (real.length > 0) options.push({ weight: 4, arbitrary: fc.constantFrom(...real) });
  return fc.oneof(...options);
}

function queryValueOf(document: OpenApiDocument, parameter: Parameter, fixtures: FuzzFixtures): fc.Arbitrary<string> {
  // A long poll would hold the fuzzer for up to 25 s per request: only no wait, or refused values.
  if (parameter.name === "waitSeconds") return fc.constantFrom("0", "-1", "26", "x", "");
  const real = fixtures.ids[parameter.name] ?? [];
  const shaped = schemaValue(document, parameter.schema).map((value) => (typeof value === "string" ? value : (JSON.stringify(value) ?? "")));
  return real.length > 0 ? fc.oneof(shaped, fc.constantFrom(...real)) : shaped;
}

/**
 * Keeps the request line under 10 KiB (with a 3 KiB Authorization at most, the headers stay under 16 KiB): past Node's 16 KiB header limit the parser answers before
 * the app runs (431), which test/api/clientErrors.test.ts covers; here the app is under test.
 */
const urlCharactersMax = 10_000;

function withinUrlLimit(path: string, query: string): string {
  const full = path + query;
  return full.length <= urlCharactersMax ? full : full.slice(0, urlCharactersMax).replace(/%[0-9A-Fa-f]?$/, "");
}

const contentTypes = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "text/plain",
  "text/csv",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "",
];
const nonJsonBodies = ["{", "[1,2", "null", '""', "0", "true", "\u0000", "a=1&b=2", '{"a":1}{', "\uFEFF{}", "x".repeat(70_000)];

function authorizationOf(fixtures: FuzzFixtures, method: string, pathTemplate: string): fc.Arbitrary<string | undefined> {
  // Logging a fixture's session out would turn the rest of the run into a run of 401s.
  const roles = pathTemplate === "/api/auth/logout" ? [] : Object.values(fixtures.tokens);
  // The kl_live_ ones take the API-key path (docs/api-keys.md): a key that does not exist.
  const garbage = fc.constantFrom(
    "Bearer ",
    "Bearer garbage",
    "Bearer a.b.c",
    `Bearer ${"A".repeat(3_000)}`,
    "Basic YWRtaW46YWRtaW4=",
    "bearer",
    "Token x",
    "Bearer kl_live_",
    `Bearer kl_live_1_${"A".repeat(43)}`,
  );
  const options: fc.WeightedArbitrary<string | undefined>[] = [
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: garbage },
  ];
  if (roles.length > 0) options.push({ weight: 5, arbitrary: fc.constantFrom(...roles).map((token) => `Bearer ${token}`) });
  void method;
  return fc.oneof(...options);
}

const idempotencyKeys = fc.oneof(
  fc.constant(undefined),
  fc.stringMatching(/^[\x21-\x7E]{8,40}$/),
  fc.constantFrom("", "short", "k".repeat(300), "ключ-идемпотентности", "a b c d e f g h"),
);

/** Arbitrary requests for one operation. */
export function requestOf(document: OpenApiDocument, { method, pathTemplate, operation }: FuzzOperation, fixtures: FuzzFixtures): fc.Arbitrary<FuzzRequest> {
  const parameters = operation.parameters ?? [];
  const pathParameters = parameters.filter((parameter) => parameter.in === "path");
  const queryParameters = parameters.filter((parameter) => parameter.in === "query");
  const path = fc.tuple(...pathParameters.map((parameter) => pathParameterOf(document, parameter, fixtures))).map((values) => {
    let filled = pathTemplate;
    pathParameters.forEach((parameter, i) => {
      filled = filled.replace(`{${parameter.name}}`, values[i]!);
    });
    return filled;
  });
  const query = fc
    .tuple(
      fc.tuple(...queryParameters.map((parameter) => fc.option(queryValueOf(document, parameter, fixtures), { freq: parameter.required ? 10 : 2 }))),
      fc.option(fc.tuple(fc.constantFrom("extra", "limit", "__proto__", "a[b]"), anyString), { freq: 4 }),
    )
    .map(([values, extra]) => {
      const search = new URLSearchParams();
      queryParameters.forEach((parameter, i) => {
        if (values[i] !== null) search.append(parameter.name, values[i]!);
      });
      if (extra) search.append(extra[0], extra[1]);
      const text = search.toString();
      return text ? `?${text}` : "";
    });
  const declared = operation.requestBody?.content ?? {};
  const declaredTypes = Object.keys(declared);
  const jsonSchema = declared["application/json"]?.schema;
  const bodies: fc.WeightedArbitrary<{ body: string | undefined; contentType: string | undefined }>[] = [
    { weight: 1, arbitrary: fc.constant({ body: undefined, contentType: undefined }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...nonJsonBodies), fc.constantFrom(...contentTypes)).map(([body, contentType]) => ({ body, contentType })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...contentTypes))
        .map(([value, contentType]) => ({ body: JSON.stringify(value), contentType })),
    },
  ];
  if (jsonSchema) {
    bodies.push({
      weight: 8,
      arbitrary: fc
        .tuple(
          schemaValue(document, jsonSchema, 0, fixtures.ids),
          fc.constantFrom("application/json", "application/json", "application/json", "text/plain", ""),
        )
        .map(([value, contentType]) => ({ body: JSON.stringify(value), contentType })),
    });
  }
  for (const type of declaredTypes.filter((name) => name !== "application/json")) {
    // Key imports (text/plain, text/csv) and form posts: lines or pairs of edge strings.
    bodies.push({
      weight: 3,
      arbitrary: fc.array(anyString, { maxLength: 6 }).map((lines) => ({ body: lines.join(type.includes("form") ? "&" : "\n"), contentType: type })),
    });
  }
  const hasBody = method !== "GET" && method !== "HEAD";
  return fc
    .record({
      path,
      query,
      authorization: authorizationOf(fixtures, method, pathTemplate),
      idempotencyKey: idempotencyKeys,
      body: hasBody ? fc.oneof(...bodies) : fc.constant({ body: undefined, contentType: undefined }),
    })
    .map(({ path, query, authorization, idempotencyKey, body }) => {
      const headers: Record<string, string> = {};
      if (authorization !== undefined) headers.authorization = authorization;
      if (idempotencyKey !== undefined && /^[\x20-\x7E]*$/.test(idempotencyKey)) headers["idempotency-key"] = idempotencyKey;
      if (body.contentType) headers["content-type"] = body.contentType;
      return { method, path: withinUrlLimit(path, query), headers, body: body.body };
    });
}

/**
 * A value the schema accepts, as far as the schema can say (no edges, no wrong types, no extra
 * fields; fixtures for fields named like them): these requests get past validation to the code
 * behind it, where the other generator mostly gets a 400.
 */
export function validValue(document: OpenApiDocument, input: JsonSchema, ids: FuzzFixtures["ids"], depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(document, input) as JsonSchema & { exclusiveMinimum?: number; minItems?: number; format?: string };
  const variants = (schema.anyOf ?? schema.oneOf)?.filter((variant) => variant.type !== "null");
  if (variants && variants.length > 0) return fc.oneof(...variants.map((variant) => validValue(document, variant, ids, depth)));
  if (schema.allOf && schema.allOf.length > 0) return validValue(document, schema.allOf[0]!, ids, depth);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "string":
      if (schema.format === "email") return fc.constantFrom("fuzz-guest@example.com", "buyer@example.com");
      if (schema.format === "uri") return fc.constantFrom("https://example.com/", "https://gateway.example/submit.php");
      return (
        patternString(schema.pattern) ??
        fc.string({
          unit: "grapheme-ascii",
          minLength: Math.max(schema.minLength ?? 1, 1),
          maxLength: Math.max(Math.min(schema.maxLength ?? 24, 24), schema.minLength ?? 1),
        })
      );
    case "integer":
    case "number": {
      const min = Math.max(schema.minimum ?? 0, schema.exclusiveMinimum === undefined ? Number.MIN_SAFE_INTEGER : schema.exclusiveMinimum + 1);
      return fc.integer({ min, max: Math.min(schema.maximum ?? min + 10, min + 10) });
    }
    case "boolean":
      return fc.boolean();
    case "array":
      return depth > 3
        ? fc.constant([])
        : fc.array(validValue(document, schema.items ?? {}, ids, depth + 1), { minLength: schema.minItems ?? 1, maxLength: Math.max(schema.minItems ?? 1, 3) });
    case "object": {
      if (depth > 3) return fc.constant({});
      const properties = schema.properties ?? {};
      const fields = Object.fromEntries(
        Object.entries(properties).map(([name, propertySchema]) => {
          const real = ids[name] ?? [];
          return [name, real.length > 0 ? fc.constantFrom(...real) : validValue(document, propertySchema, ids, depth + 1)];
        }),
      );
      return fc.record(fields, { requiredKeys: (schema.required ?? []).filter((name) => name in properties) });
    }
    default:
      return fc.constant(null);
  }
}

/** Requests that pass validation where the schema can promise it: real ids, a role's session, valid fields. */
export function validRequestOf(
  document: OpenApiDocument,
  { method, pathTemplate, operation }: FuzzOperation,
  fixtures: FuzzFixtures,
): fc.Arbitrary<FuzzRequest> {
  const parameters = operation.parameters ?? [];
  const pathParameters = parameters.filter((parameter) => parameter.in === "path");
  const queryParameters = parameters.filter((parameter) => parameter.in === "query" && parameter.name !== "waitSeconds");
  const valueFor = (parameter: Parameter) => {
    const real = fixtures.ids[parameter.name] ?? [];
    return real.length > 0 ? fc.constantFrom(...real) : validValue(document, parameter.schema, fixtures.ids).map((value) => String(value));
  };
  const path = fc.tuple(...pathParameters.map(valueFor)).map((values) => {
    let filled = pathTemplate;
    pathParameters.forEach((parameter, i) => {
      filled = filled.replace(`{${parameter.name}}`, encodeURIComponent(wellFormed(values[i]!)));
    });
    return filled;
  });
  const query = fc.tuple(...queryParameters.map((parameter) => fc.option(valueFor(parameter), { freq: parameter.required ? 1_000 : 2 }))).map((values) => {
    const search = new URLSearchParams();
    queryParameters.forEach((parameter, i) => {
      if (values[i] !== null) search.append(parameter.name, values[i]!);
    });
    const text = search.toString();
    return text ? `?${text}` : "";
  });
  const roles = pathTemplate === "/api/auth/logout" ? [] : Object.values(fixtures.tokens);
  const authorization = roles.length > 0 ? fc.option(fc.constantFrom(...roles), { freq: 6 }) : fc.constant(null);
  const content = operation.requestBody?.content ?? {};
  const jsonSchema = content["application/json"]?.schema;
  const body: fc.Arbitrary<{ body: string | undefined; contentType: string | undefined }> = jsonSchema
    ? validValue(document, jsonSchema, fixtures.ids).map((value) => ({ body: JSON.stringify(value), contentType: "application/json" }))
    : content["text/plain"]
      ? fc
          .array(fc.stringMatching(/^[A-Z0-9]{12,20}$/), { minLength: 1, maxLength: 4 })
          .map((keys) => ({ body: keys.map((key) => `FUZZ-${key}`).join("\n"), contentType: "text/plain" }))
      : fc.constant({ body: undefined, contentType: undefined });
  return fc.record({ path, query, authorization, body }).map(({ path, query, authorization, body }) => {
    const headers: Record<string, string> = {};
    if (authorization !== null) headers.authorization = `Bearer ${authorization}`;
    if (body.contentType) headers["content-type"] = body.contentType;
    return { method, path: withinUrlLimit(path, query), headers, body: method === "GET" ? undefined : body.body };
  });
}
