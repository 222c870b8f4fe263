// The ledger's HTTP routes, mounted under /api the way api/http/app.ts mounts routers (JSON
// body, bigints as strings, sessions, the platform's error handler; the full app also needs
// Redis and a key ring, which these routes never use): roles and shop ownership, validation,
// payouts end to end, public anchors and proofs.
import { createHash } from "node:crypto";
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
import { verifyConsistency } from "../../api/ledger/merkleLog.ts";
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
    // A verification level's payout limits (docs/saas.md) are test/saas's subject; here the
    // shop's payouts run through the ledger alone.
    const config = loadConfig({
      NODE_ENV: "test",
      QUERY_PASSWORD_PEPPER: "ledger-http-test-pepper-0123456789",
      LOG_LEVEL: "silent",
      SAAS_LIMITS_ENFORCED: "false",
    });
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
      // Sessions made here as a sign-in with TOTP makes them: staff roles count only in those
      // (docs/accounts.md); the sign-in itself is tested in test/api/accountSecurity.test.ts.
      tokens[name] = (await createSession(database.db, row!.id, 3600, { factor: "totp" })).token;
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

  it("gives auditors the journal export and an account's history, and everyone consistency proofs that check out", async () => {
    while ((await hashPendingEntries(database.db, { batchSizeMax: 1000 })).hashed > 0);
    expect((await call("GET", "/api/ledger/journal", tokens.merchant)).status).to.equal(403);
    const journal = await call("GET", "/api/ledger/journal", tokens.auditor);
    expect(journal.status).to.equal(200);
    const entries: { seq: string; chainHash: string; entry: { kind: string; referenceId: string; postings: { amountMinor: string }[] } }[] =
      journal.body.entries;
    expect(entries.map((entry) => entry.entry.kind)).to.include.members(["order_payment", "payout_request"]);
    for (const entry of entries)
      expect(
        entry.entry.postings.reduce((sum, posting) => sum + BigInt(posting.amountMinor), 0n),
        entry.seq,
      ).to.equal(0n);

    // The shop's payable: +9,500 from the payment, -4,000 held by the payout (newest first).
    const payable = await queryOne<{ id: bigint }>(
      database.db,
      sql`SELECT id FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${shopId} AND purpose = 'payable' AND currency = 'CNY'`,
    );
    expect((await call("GET", `/api/ledger/accounts/${payable!.id}/history`, tokens.merchant)).status).to.equal(403);
    const history = await call("GET", `/api/ledger/accounts/${payable!.id}/history?limit=10`, tokens.auditor);
    expect(history.status).to.equal(200);
    expect(
      history.body.items.map((line: { kind: string; amountMinor: string; balanceAfterMinor: string }) => [line.kind, line.amountMinor, line.balanceAfterMinor]),
    ).to.deep.equal([
      ["payout_request", "-4000", "5500"],
      ["order_payment", "9500", "9500"],
    ]);
    expect((await call("GET", "/api/ledger/accounts/999999/history", tokens.auditor)).status).to.equal(404);

    // RFC 9162 roots computed here from the exported chain hashes, not by the server's code.
    const sha256 = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
    const leaves = entries.map((entry) => sha256(Buffer.from([0]), Buffer.from(entry.chainHash.replace(/^0x/, ""), "hex")));
    const root = (nodes: Buffer[]): Buffer => {
      if (nodes.length === 1) return nodes[0]!;
      let split = 1;
      while (split * 2 < nodes.length) split *= 2;
      return sha256(Buffer.from([1]), root(nodes.slice(0, split)), root(nodes.slice(split)));
    };
    expect(leaves.length).to.be.at.least(3);
    const [first, second] = [1, leaves.length];
    const proof = await call("GET", `/api/ledger/proofs/consistency?first=${first}&second=${second}`);
    expect(proof.status).to.equal(200);
    const unhex = (value: string) => Buffer.from(value.replace(/^0x/, ""), "hex");
    expect(unhex(proof.body.firstRoot).equals(root(leaves.slice(0, first)))).to.equal(true);
    expect(unhex(proof.body.secondRoot).equals(root(leaves))).to.equal(true);
    expect(verifyConsistency(first, second, unhex(proof.body.firstRoot), unhex(proof.body.secondRoot), proof.body.proof.map(unhex))).to.equal(true);
    const beyond = await call("GET", `/api/ledger/proofs/consistency?first=1&second=${second + 1}`);
    expect([beyond.status, beyond.body.code]).to.deep.equal([404, "not_found"]);
    const backwards = await call("GET", "/api/ledger/proofs/consistency?first=2&second=1");
    expect([backwards.status, backwards.body.code]).to.deep.equal([400, "bad_request"]);
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
