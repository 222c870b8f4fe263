// The ledger's HTTP routes, mounted under /api the way api/http/app.ts mounts routers (JSON
// body, bigints as strings, sessions, the platform's error handler; the full app also needs
// Redis and a key ring, which these routes never use): roles and shop ownership, validation,
// payouts end to end, public anchors and proofs.
import { expect } from "chai";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../core/config.ts";
import type { AppContext } from "../../api/context.ts";
import express from "express";
import { loadSession } from "../../api/http/auth.ts";
import { errorHandler } from "../../api/http/errorHandler.ts";
import { ledgerRouter } from "../../api/http/routes/ledger.ts";
import { postOrderPayment } from "../../api/ledger/flows.ts";
import { hashPendingEntries } from "../../api/ledger/hasher.ts";
import { createLogger } from "../../core/logger.ts";
import { createSession } from "../../api/services/accounts/sessions.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

describe("ledger HTTP routes", () => {
  let database: TestDatabase;
  let server: Server;
  let baseUrl: string;
  const tokens: Record<"merchant" | "otherMerchant" | "admin" | "auditor", string> = { merchant: "", otherMerchant: "", admin: "", auditor: "" };
  let shopId: bigint;

  async function call(method: string, path: string, token?: string, body?: unknown) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json().catch(() => null)) as any };
  }

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
    const config = loadConfig({ NODE_ENV: "test", QUERY_PASSWORD_PEPPER: "ledger-http-test-pepper-0123456789", LOG_LEVEL: "silent" });
    const logger = createLogger({ level: "silent" });
    // The ledger router reads the configuration and the database only.
    const ctx = { config, database, logger, chain: undefined } as unknown as AppContext;
    const app = express();
    app.set("json replacer", (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
    app.use("/api", express.json({ limit: config.http.bodyLimitBytes, strict: true }));
    app.use(loadSession(database.db));
    app.use("/api", ledgerRouter(ctx));
    app.use(errorHandler(logger));
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const [name, roles] of [
      ["merchant", "merchant"],
      ["otherMerchant", "merchant"],
      ["admin", "admin"],
      ["auditor", "auditor"],
    ] as const) {
      const row = await queryOne<{ id: bigint }>(
        database.db,
        sql`INSERT INTO accounts (email, password_hash, roles) VALUES (${`${name.toLowerCase()}@ledger.test`}, 'not-a-login', ARRAY[${roles}]) RETURNING id`,
      );
      tokens[name] = (await createSession(database.db, row!.id, 3600)).token;
      if (name === "merchant") {
        const shop = await queryOne<{ id: bigint }>(
          database.db,
          sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id)
              VALUES (${row!.id}, 'ledger-shop', 'Ledger shop', '\\x00', 'k1') RETURNING id`,
        );
        shopId = shop!.id;
      }
    }
    await postOrderPayment(database.db, { orderId: "http-1", shopId, amountMinor: 10_000n, currency: "CNY", provider: "chain", platformFeeBps: 500 });
  });
  after(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    await database?.drop();
  });

  it("shows a shop's balance and statement to its merchant, auditors and admins only", async () => {
    const own = await call("GET", `/api/ledger/shops/${shopId}/balance`, tokens.merchant);
    expect(own.status).to.equal(200);
    expect(own.body.balances).to.deep.equal([{ currency: "CNY", availableMinor: "9500", heldMinor: "0" }]);
    expect((await call("GET", `/api/ledger/shops/${shopId}/balance`, tokens.otherMerchant)).status).to.equal(403);
    expect((await call("GET", `/api/ledger/shops/${shopId}/balance`, tokens.auditor)).status).to.equal(200);
    expect((await call("GET", `/api/ledger/shops/${shopId}/balance`)).status).to.equal(401);
    const statement = await call("GET", `/api/ledger/shops/${shopId}/statement?currency=CNY&limit=10`, tokens.merchant);
    expect(statement.body.items.map((line: { amountMinor: string; kind: string }) => [line.kind, line.amountMinor])).to.deep.equal([["order_payment", "9500"]]);
    const bad = await call("GET", `/api/ledger/shops/${shopId}/statement?currency=cny`, tokens.merchant);
    expect([bad.status, bad.body.code]).to.deep.equal([400, "validation_failed"]);
  });

  it("runs a payout request through admin approval, once, and refuses one beyond the payable", async () => {
    const request = await call("POST", `/api/ledger/shops/${shopId}/payouts`, tokens.merchant, { amountMinor: "4000", currency: "CNY", requestId: "req-1" });
    expect(request.status).to.equal(201);
    expect(request.body).to.include({ payoutId: `shop${shopId}-req-1`, created: true });
    const retry = await call("POST", `/api/ledger/shops/${shopId}/payouts`, tokens.merchant, { amountMinor: "4000", currency: "CNY", requestId: "req-1" });
    expect(retry.body).to.include({ holdId: request.body.holdId, created: false });
    const tooMuch = await call("POST", `/api/ledger/shops/${shopId}/payouts`, tokens.merchant, { amountMinor: "6000", currency: "CNY" });
    expect([tooMuch.status, tooMuch.body.code]).to.deep.equal([409, "insufficient_funds"]);
    expect((await call("POST", `/api/ledger/shops/${shopId}/payouts`, tokens.otherMerchant, { amountMinor: "1", currency: "CNY" })).status).to.equal(403);
    expect((await call("POST", `/api/ledger/payouts/${request.body.payoutId}/approve`, tokens.merchant)).status).to.equal(403);
    const approved = await call("POST", `/api/ledger/payouts/${request.body.payoutId}/approve`, tokens.admin);
    expect([approved.status, approved.body.state]).to.deep.equal([200, "posted"]);
    const rejected = await call("POST", `/api/ledger/payouts/${request.body.payoutId}/reject`, tokens.admin);
    expect([rejected.status, rejected.body.code]).to.deep.equal([409, "invalid_state"]);
    const balance = await call("GET", `/api/ledger/shops/${shopId}/balance`, tokens.merchant);
    expect(balance.body.balances).to.deep.equal([{ currency: "CNY", availableMinor: "5500", heldMinor: "0" }]);
  });

  it("gives auditors the trial balance and reconciliation, and everyone the anchors", async () => {
    const trial = await call("GET", "/api/ledger/trial-balance", tokens.auditor);
    expect(trial.status).to.equal(200);
    expect(trial.body.currencies.map((currency: { balanced: boolean; totalMinor: string }) => [currency.balanced, currency.totalMinor])).to.deep.equal([
      [true, "0"],
    ]);
    expect((await call("GET", "/api/ledger/trial-balance", tokens.merchant)).status).to.equal(403);
    const reconciliation = await call("GET", "/api/ledger/reconciliation/orders?orderIds=http-1", tokens.auditor);
    // The ledger has the payment; the payments table has no record of it: a finding, as data.
    expect(reconciliation.body.findings.map((finding: { problem: string }) => finding.problem)).to.deep.equal(["paid_mismatch"]);
    const chain = await call("GET", "/api/ledger/reconciliation/chain-payments?chainId=31337", tokens.admin);
    expect(chain.body).to.deep.equal({ chainId: 31337, findings: [] });
    expect((await call("GET", "/api/ledger/reconciliation/chain-payments", tokens.admin)).body.code).to.equal("bad_request");
    const anchors = await call("GET", "/api/ledger/anchors");
    expect(anchors.body).to.deep.equal({ items: [], nextCursor: null });
    const proof = await call("GET", "/api/ledger/proofs/inclusion/1");
    expect([proof.status, proof.body.code]).to.deep.equal([404, "not_found"]);
  });

  it("answers a proof for a tree size beyond the hash chain with 404 not_found, not a 500", async () => {
    // Regression (found by the HTTP fuzzer): GET /api/ledger/proofs/inclusion/1?treeSize=4 with a
    // shorter chain reached readLogLeaves' gap error and answered 500.
    while ((await hashPendingEntries(database.db, { batchSizeMax: 1000 })).hashed > 0);
    const chained = await queryOne<{ size: bigint }>(database.db, sql`SELECT max(seq) AS size FROM ledger_chain`);
    const beyond = Number(chained!.size) + 3;
    const inclusion = await call("GET", `/api/ledger/proofs/inclusion/1?treeSize=${beyond}`);
    expect([inclusion.status, inclusion.body.code, inclusion.body.message]).to.deep.equal([404, "not_found", `The chain has fewer than ${beyond} entries.`]);
    const consistency = await call("GET", `/api/ledger/proofs/consistency?first=1&second=${beyond}`);
    expect([consistency.status, consistency.body.code]).to.deep.equal([404, "not_found"]);
    const within = await call("GET", `/api/ledger/proofs/inclusion/1?treeSize=${chained!.size}`);
    expect([within.status, within.body.treeSize]).to.deep.equal([200, String(chained!.size)]);
  });
});
