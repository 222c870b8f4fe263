// The API contract: the committed OpenAPI document and the web types generated from it are what
// the route declarations give (so neither can go stale), every operation documents a success
// answer with a schema, and the response check records a broken answer without changing it: a
// 4xx stays the same 4xx, a 200 the same 200.
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import express, { Router } from "express";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { errorHandler } from "../../api/http/errorHandler.ts";
import { responseCheckRecord, takeViolations } from "../../api/http/responseCheck.ts";
import { defineRoute } from "../../api/http/route.ts";
import { createLogger } from "../../core/logger.ts";
import { loadConfig } from "../../core/config.ts";
import type { AppContext } from "../../api/context.ts";
import { chainRouter } from "../../api/http/routes/chain.ts";
import { committedText, contractDocument, documentText, openApiPath, sdkSchemaPath, webSchemaPath, webSchemaText } from "../../scripts/lib/apiContract.ts";

type Operation = {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  requestBody?: unknown;
  parameters?: unknown[];
};

describe("API contract", () => {
  // Before anything here builds the document: the routes declared with other settings.
  it("is the same document after routes were declared in this process with other settings (a test platform's)", () => {
    const config = loadConfig({ QUERY_PASSWORD_PEPPER: "another-pepper", DATA_DIR: "/nonexistent", CHAIN_PAGE_SIZE_MAX: "4" });
    chainRouter({ config, database: { db: {} }, chain: undefined } as unknown as AppContext);
    expect(documentText(contractDocument())).to.equal(committedText(openApiPath));
  });
});

describe("API contract document and response check", () => {
  let document: ReturnType<typeof contractDocument>;
  before(() => {
    document = contractDocument();
  });

  it("api/openapi.json and web/src/api/schema.d.ts are what `npm run openapi` writes now", async () => {
    expect(committedText(openApiPath), "api/openapi.json is stale: run `npm run openapi`").to.equal(documentText(document));
    expect(committedText(webSchemaPath), "web/src/api/schema.d.ts is stale: run `npm run openapi`").to.equal(await webSchemaText(document));
    expect(committedText(sdkSchemaPath), "sdk/src/schema.d.ts is stale: run `npm run openapi`").to.equal(await webSchemaText(document));
  });

  it("documents every operation with a 2xx answer that has a schema (or is a 204), unique operation ids, and the error schema", () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods as Record<string, Operation>).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.length).to.be.greaterThan(60);
    const missing = operations.filter(({ operation }) => {
      const success = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      return (
        success.length === 0 || success.some(([status, answer]) => status !== "204" && !Object.values(answer.content ?? {}).every((media) => media.schema))
      );
    });
    expect(missing.map(({ method, path }) => `${method} ${path}`)).to.deep.equal([]);
    expect(new Set(operations.map(({ operation }) => operation.operationId)).size).to.equal(operations.length);
    for (const { operation } of operations)
      expect(operation.responses["4XX"]).to.deep.include({ content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
    // A list route pages by the one convention: an opaque cursor in, { items, nextCursor } out.
    const schemas = document.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    const pagedWith = (name: string) =>
      operations.filter(({ operation }) => ((operation.parameters ?? []) as { name: string }[]).some((parameter) => parameter.name === name));
    expect(
      pagedWith("before")
        .concat(pagedWith("beforeId"))
        .map(({ path }) => path),
    ).to.deep.equal([]);
    for (const { path, operation } of pagedWith("cursor")) {
      const ref = (operation.responses["200"]!.content!["application/json"]!.schema as { $ref: string }).$ref;
      const properties = schemas[ref.split("/").at(-1)!]!.properties!;
      expect(Object.keys(properties), path).to.include.members(["items", "nextCursor"]);
    }
  });

  it("records an answer that breaks its schema without changing it: a 200 stays 200, a 4xx stays 4xx", async () => {
    const router = Router();
    const mountPath = "/contract-check";
    defineRoute(
      router,
      mountPath,
      { method: "get", path: "/wrong", summary: "answers off-contract", tags: ["test"], auth: "public", response: z.strictObject({ id: z.string() }) },
      async () => ({ id: 7, extra: true }),
    );
    defineRoute(
      router,
      mountPath,
      { method: "get", path: "/refused", summary: "refuses", tags: ["test"], auth: "public", response: z.strictObject({ id: z.string() }) },
      async () => {
        throw new AppError("not_found", "Nothing here.");
      },
    );
    const app = express();
    app.use(mountPath, router);
    app.use(errorHandler(createLogger({ level: "silent" })));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${mountPath}`;
    try {
      const wrong = await fetch(`${base}/wrong`);
      expect(wrong.status).to.equal(200);
      expect(await wrong.json()).to.deep.equal({ id: 7, extra: true });
      const refused = await fetch(`${base}/refused`);
      expect(refused.status).to.equal(404);
      expect(await refused.json()).to.deep.equal({ code: "not_found", message: "Nothing here.", details: null });
      const recorded = takeViolations(`${mountPath}/wrong`);
      expect(recorded.map((violation) => violation.status)).to.deep.equal([200]);
      expect(recorded[0]!.problem).to.match(/^id: .*expected string/);
      expect(recorded[0]!.problem).to.match(/extra/);
      // The error answer was checked (against the shared error schema) and kept its status.
      expect(takeViolations(`${mountPath}/refused`)).to.deep.equal([]);
      expect(responseCheckRecord().checked.get(`get ${mountPath}/refused 404`)).to.equal(1);
    } finally {
      server.close();
    }
  });
});
