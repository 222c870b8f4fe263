// The OpenAPI document tells an integrator what each route takes: the EPay notification's
// fields (a gateway's, read by the route itself so the signature sees them as sent) and both
// content types of a key import. Built from the real route declarations.
import { expect } from "chai";
import { loadConfig } from "../../core/config.ts";
import type { AppContext } from "../../api/context.ts";
import { buildOpenApiDocument } from "../../api/http/openapi.ts";
import { routeRegistry } from "../../api/http/route.ts";
import { merchantRouter } from "../../api/http/routes/merchant.ts";
import { paymentsRouter } from "../../api/http/routes/payments.ts";

describe("OpenAPI document: what the routes take", () => {
  let document: { paths: Record<string, Record<string, any>> };
  before(() => {
    // Declaring the routers registers them; only their handlers, never called here, use the
    // database and the rest of a context.
    const ctx = { config: loadConfig({}), database: {} } as unknown as AppContext;
    paymentsRouter(ctx);
    merchantRouter(ctx);
    document = buildOpenApiDocument(routeRegistry, { version: "1" }) as typeof document;
  });
  const notificationFields = ["pid", "trade_no", "out_trade_no", "type", "name", "money", "trade_status", "param", "sign", "sign_type"];

  it("describes the EPay notification's fields on GET (query) and POST (form body)", () => {
    const notify = document.paths["/api/payments/epay/notify/{shopId}"]!;
    const query = notify.get.parameters.filter((parameter: { in: string }) => parameter.in === "query");
    expect(query.map((parameter: { name: string }) => parameter.name)).to.deep.equal(notificationFields);
    const required = query.filter((parameter: { required: boolean }) => parameter.required).map((parameter: { name: string }) => parameter.name);
    expect(required).to.deep.equal(["pid", "trade_no", "out_trade_no", "money", "trade_status", "sign"]);
    expect(query.find((parameter: { name: string }) => parameter.name === "trade_status").description).to.match(/TRADE_SUCCESS/);
    const form = notify.post.requestBody.content["application/x-www-form-urlencoded"].schema;
    expect(Object.keys(form.properties)).to.deep.equal(notificationFields);
    expect(form.properties.sign.description).to.match(/MD5/);
  });

  it("lists text/plain and text/csv for a key import", () => {
    const importRoute = document.paths["/api/products/{productId}/imports"]!.post;
    expect(Object.keys(importRoute.requestBody.content)).to.deep.equal(["text/plain", "text/csv"]);
  });
});
