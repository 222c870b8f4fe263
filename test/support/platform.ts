// Starts the whole platform in-process for a suite, the way `npm start` does, but against a
// fresh database on the real PostgreSQL server, a unique Redis queue prefix and its own local
// chain. Returns an HTTP helper bound to it.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { deleteRedisKeys } from "../../scripts/lib/deleteRedisKeys.ts";
import { startPlatform, type Platform } from "../../scripts/lib/platform.ts";
import type { LogDestination } from "../../core/logger.ts";
import type { WorkerSettings } from "../../api/jobs/workers.ts";
import { createServerDatabase, type TestDatabase } from "./database.ts";
import { testEnv } from "./env.ts";

// The abuse limits are lifted for the suites (scripts/lib/loadLimitsLifted.ts) unless a suite sets them.
export { riskRulesLifted, saasLimitsLifted, unlimitedMerchantQuotas, unlimitedUnpaidHolds } from "../../scripts/lib/loadLimitsLifted.ts";
import { riskRulesLifted, saasLimitsLifted, throttleBoundRelaxed, unlimitedMerchantQuotas, unlimitedUnpaidHolds } from "../../scripts/lib/loadLimitsLifted.ts";

export type TestPlatform = Platform & { database: TestDatabase; http: HttpClient; dataDir: string; queuePrefix: string; stopAll(): Promise<void> };

export async function startTestPlatform(
  options: {
    seed?: boolean;
    workers?: boolean;
    workerSettings?: Partial<WorkerSettings>;
    indexer?: boolean;
    keysPerProduct?: number;
    env?: Record<string, string>;
    store?: "server" | "pglite";
    logDestination?: LogDestination;
    logLevel?: string;
  } = {},
): Promise<TestPlatform> {
  // The embedded store is one in-process PGlite: the platform opens it from its data directory.
  const database = options.store === "pglite" ? undefined : await createServerDatabase({ poolSizeMax: 2 });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-test-"));
  const queuePrefix = `kltest-${randomBytes(4).toString("hex")}`;
  const platform = await startPlatform({
    env: {
      ...(database ? { DATABASE_URL: database.url } : {}),
      REDIS_URL: testEnv.redisUrl,
      QUEUE_PREFIX: queuePrefix,
      DATA_DIR: dataDir,
      DATABASE_POOL_SIZE_MAX: "20",
      ISSUE_BATCH_WAIT_MS: "100",
      // Suites buy many keys from one contact and one address: the limits of unpaid reservations
      // are lifted here and set by the suites that test them (test/orders/unpaidHolds.test.ts).
      ...unlimitedUnpaidHolds,
      ...unlimitedMerchantQuotas,
      ...saasLimitsLifted,
      ...riskRulesLifted,
      ...throttleBoundRelaxed,
      ...options.env,
    },
    port: 0,
    seed: options.seed ?? false,
    workers: options.workers,
    workerSettings: options.workerSettings,
    indexer: options.indexer,
    keysPerProduct: options.keysPerProduct,
    logLevel: options.logLevel ?? testEnv.platformLogLevel,
    logDestination: options.logDestination,
  });
  return {
    ...platform,
    database: database ?? { ...platform.ctx.database, drop: async () => {} },
    dataDir,
    queuePrefix,
    http: new HttpClient(platform.url),
    async stopAll() {
      await platform.stop();
      await deleteRedisKeys(testEnv.redisUrl, queuePrefix);
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type HttpResponse<T = any> = { status: number; body: T; text: string; headers: Headers };

export class HttpClient {
  readonly baseUrl: string;
  token: string | undefined;

  constructor(baseUrl: string, token?: string) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  as(token: string | undefined): HttpClient {
    return new HttpClient(this.baseUrl, token);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse<T>> {
    const init: RequestInit = { method, headers: { ...headers }, redirect: "manual" };
    if (this.token) (init.headers as Record<string, string>).authorization = `Bearer ${this.token}`;
    if (body !== undefined) {
      if (typeof body === "string") init.body = body;
      else if (body instanceof Uint8Array) init.body = new Uint8Array(body);
      else {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)["content-type"] = "application/json";
      }
    }
    const response = await fetch(this.baseUrl + path, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. "success")
    }
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>("GET", path);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>("POST", path, body, headers);
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>("PUT", path, body);
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>("PATCH", path, body);
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Starts a platform before the suite's tests and stops it after, returning a handle whose
 * `platform` is set once `before` has run. Suites compose further setup in their own hooks.
 */
export function usePlatform(options: Parameters<typeof startTestPlatform>[0] = {}): { platform: TestPlatform } {
  const handle = {} as { platform: TestPlatform };
  before(async () => {
    handle.platform = await startTestPlatform(options);
  });
  after(async () => {
    await handle.platform?.stopAll();
  });
  return handle;
}
