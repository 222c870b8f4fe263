// The web app's API client (web/src/api/client.ts): the generated openapi-fetch client with the
// session's bearer token, and answer(), which gives a 2xx body or throws ApiError with the
// server's code (network_error when the server cannot be reached; an abort stays an abort).
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { expect } from "chai";
import express from "express";
import { answer, ApiError, createApiClient } from "../../web/src/api/client.ts";

describe("web API client", () => {
  let server: Server;
  let baseUrl: string;
  const account = { id: "1", email: "a@example.com", roles: ["buyer"], displayName: null, createdAt: "2026-01-01T00:00:00.000Z" };

  before(async () => {
    const app = express();
    app.get("/api/me", (req, res) => {
      if (req.get("authorization") !== "Bearer good-token") res.status(401).json({ code: "unauthorized", message: "Sign in first.", details: null });
      else res.json(account);
    });
    app.post("/api/auth/logout", (_req, res) => res.status(204).end());
    app.get("/api/shops/:shopId", (_req, res) => res.status(502).type("text/plain").send("bad gateway"));
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
  });

  it("sends the session's bearer token and gives the answer's body", async () => {
    let token: string | undefined = "good-token";
    const api = createApiClient({ baseUrl, token: () => token });
    expect(await answer(api.GET("/api/me"))).to.deep.equal(account);
    expect(await answer(api.POST("/api/auth/logout"))).to.equal(undefined);
    token = undefined;
    const refused = await answer(api.GET("/api/me")).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(ApiError);
    expect(refused).to.include({ status: 401, code: "unauthorized", message: "Sign in first.", details: null });
  });

  it("names an error body that is not the API's by its status, and an unreachable server as network_error", async () => {
    const api = createApiClient({ baseUrl, token: () => undefined });
    const failed = await answer(api.GET("/api/shops/{shopId}", { params: { path: { shopId: "1" } } })).catch((error: unknown) => error);
    expect(failed).to.include({ status: 502, code: "http_502" });
    const closed = express().listen(0, "127.0.0.1");
    await new Promise((resolve) => closed.once("listening", resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await answer(createApiClient({ baseUrl: closedUrl, token: () => undefined }).GET("/api/me")).catch((error: unknown) => error);
    expect(unreachable).to.include({ status: 0, code: "network_error" });
    const controller = new AbortController();
    controller.abort();
    const aborted = await answer(api.GET("/api/me", { signal: controller.signal })).catch((error: unknown) => error);
    expect((aborted as Error).name).to.equal("AbortError");
  });
});
