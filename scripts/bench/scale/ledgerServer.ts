// The ledger's public routes on a local HTTP server for bench:scale, mounted under /api the way
// api/http/app.ts mounts routers (JSON, bigints as strings, the platform's error handler; the
// ledger router reads the configuration and the database only, as test/ledger/http.test.ts
// mounts it). `get` answers the parsed JSON body, or throws on any status but 200.
import type { AddressInfo } from "node:net";
import express from "express";
import type { AppContext } from "../../../api/context.ts";
import { errorHandler } from "../../../api/http/errorHandler.ts";
import { ledgerRouter } from "../../../api/http/routes/ledger.ts";
import { loadConfig } from "../../../core/config.ts";
import { createLogger } from "../../../core/logger.ts";
import { openDatabase } from "../../../core/store/database.ts";

export type LedgerServer = { get<T>(path: string): Promise<T>; close(): Promise<void> };

export async function startLedgerServer(url: string): Promise<LedgerServer> {
  const database = await openDatabase({ url, poolSizeMax: 2 });
  const config = loadConfig({ NODE_ENV: "test", QUERY_PASSWORD_PEPPER: "bench-scale-pepper-0123456789abcdef", LOG_LEVEL: "silent" });
  const logger = createLogger({ level: "silent" });
  const ctx = { config, database, logger, chain: undefined } as unknown as AppContext;
  const app = express();
  app.set("json replacer", (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  app.use("/api", ledgerRouter(ctx));
  app.use(errorHandler(logger));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async get<T>(path: string): Promise<T> {
      const response = await fetch(`${base}${path}`);
      const body = await response.json();
      if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(body)}`);
      return body as T;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await database.close();
    },
  };
}
