// The chain routes through the real Express app: the public redemption oracle and timeline,
// and the auditor's read-only lists, reconciliation report (JSON and CSV) and audit log, with
// roles enforced and page sizes bounded.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import pino from "pino";
import { loadConfig } from "../../core/config.ts";
import type { AppContext } from "../../api/context.ts";
import { bootstrapContext, closeContext } from "../../api/bootstrap.ts";
import { createApp } from "../../api/http/app.ts";
import { chainRouter } from "../../api/http/routes/chain.ts";
import { reconcile } from "../../indexer/reconcile/reconcile.ts";
import { openSession, type SqlSession } from "../../indexer/store/session.ts";
import { sql } from "../../indexer/store/sql.ts";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { deleteRedisKeys } from "../../scripts/lib/deleteRedisKeys.ts";
import { testEnv } from "../support/env.ts";
import { deployEmitters, type EmitterSet } from "./support/emitter.ts";
import { buildPlatformFixture, type PlatformFixture } from "./support/platformFixture.ts";

describe("chain routes: oracle, timeline and the auditor's view", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let database: TestDatabase;
  let emitters: EmitterSet;
  let session: SqlSession;
  let ctx: AppContext;
  let server: Server;
  let base: string;
  let fixture: PlatformFixture;
  const tokens: Record<string, string> = {};
  const queuePrefix = `kltest-chain-${randomBytes(4).toString("hex")}`;

  const get = async (path: string, role?: string) => {
    const response = await fetch(`${base}${path}`, { headers: role ? { authorization: `Bearer ${tokens[role]}` } : {} });
    const text = await response.text();
    return {
      status: response.status,
      text,
      body: response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : undefined,
      headers: response.headers,
    };
  };

  before(async () => {
    [chain, database] = await Promise.all([startChain(), createServerDatabase({ poolSizeMax: 4 })]);
    emitters = await deployEmitters(chain.rpcUrl);
    const chainId = await emitters.publicClient.getChainId();
    fixture = await buildPlatformFixture(database, emitters, chain.rpcUrl, chainId);
    session = await openSession(database);
    for (const role of ["auditor", "buyer"]) {
      const token = randomBytes(32).toString("base64url");
      tokens[role] = token;
      const account = await session.query<{ id: bigint }>(
        sql`INSERT INTO accounts (email, password_hash, roles) VALUES (${`${role}@example.test`}, 'x', ARRAY[${role}]) RETURNING id`,
      );
      await session.query(
        // A session as a sign-in with TOTP opens it: staff roles count only in those (docs/accounts.md).
        sql`INSERT INTO sessions (token_hash, account_id, expires_at, factor) VALUES (${createHash("sha256").update(token).digest()}, ${account.rows[0]!.id}, now() + interval '1 hour', 'totp')`,
      );
    }
    await session.query(sql`INSERT INTO audit_log (account_id, action, subject) VALUES (${fixture.accountId}, 'keys.import', 'batch:1')`);
    await session.query(sql`UPDATE keys SET commitment = ${randomBytes(32)} WHERE id = ${fixture.keyIds[1]}`);
    await reconcile(session, { chainId, registryAddress: emitters.registry, redemptionGraceSeconds: 600 });
    ctx = await bootstrapContext(
      loadConfig({
        DATABASE_URL: database.url,
        REDIS_URL: testEnv.redisUrl,
        QUEUE_PREFIX: queuePrefix,
        QUERY_PASSWORD_PEPPER: "pepper-for-tests",
        MASTER_KEY: randomBytes(32).toString("hex"),
        CHAIN_RPC_URL: chain.rpcUrl,
        REGISTRY_ADDRESS: emitters.registry,
        ENTITLEMENT_ADDRESS: emitters.entitlement,
        CHAIN_PAGE_SIZE_MAX: "4",
        LOG_LEVEL: "silent",
      }),
      pino({ level: "silent" }),
      { migrate: false, applicationName: "chain-routes-test" },
    );
    server = createApp(ctx, { extraRouters: [chainRouter(ctx)] }).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (ctx) await closeContext(ctx);
    await deleteRedisKeys(testEnv.redisUrl, queuePrefix);
    await session?.close();
    await database?.drop();
    await chain?.stop();
  });

  it("answers the oracle for a token id and for a key commitment, publicly, with transaction hashes", async () => {
    const byToken = await get("/api/chain/oracle?tokenId=8");
    expect(byToken.status, byToken.text).to.equal(200);
    expect(byToken.body.status).to.equal("redeemed");
    expect(byToken.body.leafIndex).to.equal(0);
    for (const fact of [byToken.body.anchored, byToken.body.issued, byToken.body.redeemed]) {
      expect(fact.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(fact.final).to.equal(true);
    }
    expect(byToken.body.revoked).to.equal(null);
    const byCommitment = await get(`/api/chain/oracle?commitment=${fixture.commitments[0]}`);
    expect(byCommitment.body.tokenId).to.equal("8");
    expect(byCommitment.body.status).to.equal("redeemed");
    const issued = await get("/api/chain/oracle?tokenId=7");
    expect(issued.body.status).to.equal("issued");
    const unsold = await get(`/api/chain/oracle?commitment=${fixture.commitments[3]}`);
    expect(unsold.body.status).to.equal("anchored");
    expect(unsold.body.tokenId).to.equal(null);
  });

  it("refuses a bad oracle query with a 400 naming the problem", async () => {
    const neither = await get("/api/chain/oracle");
    expect(neither.status).to.equal(400);
    const bad = await get("/api/chain/oracle?commitment=0x1234");
    expect(bad.status).to.equal(400);
    expect(bad.text).to.match(/commitment/);
  });

  it("gives a token's provenance timeline in chain order", async () => {
    const timeline = await get("/api/chain/tokens/8/timeline");
    expect(timeline.status, timeline.text).to.equal(200);
    expect(timeline.body.entries.map((entry: { kind: string }) => entry.kind)).to.deep.equal(["anchored", "transferred", "issued", "redeemed"]);
    expect((await get("/api/chain/tokens/999/timeline")).status).to.equal(404);
  });

  it("lets only auditors (and admins) read the chain records, paginated within the bound", async () => {
    expect((await get("/api/audit/chain/transfers")).status).to.equal(401);
    expect((await get("/api/audit/chain/transfers", "buyer")).status).to.equal(403);
    expect((await get("/api/audit/chain/transfers?limit=5", "auditor")).status).to.equal(400);
    const first = await get("/api/audit/chain/transfers?limit=1", "auditor");
    expect(first.status, first.text).to.equal(200);
    expect(first.body.items).to.have.length(1);
    const second = await get(`/api/audit/chain/transfers?limit=2&cursor=${first.body.nextCursor}`, "auditor");
    expect(second.body.items).to.have.length(1);
    expect(second.body.nextCursor).to.equal(null);
    const batches = await get("/api/audit/chain/batches", "auditor");
    expect(batches.body.items[0].platform_state).to.equal("confirmed");
    const redemptions = await get("/api/audit/chain/redemptions", "auditor");
    expect(redemptions.body.items.map((row: { token_id: string; kind: string }) => [row.token_id, row.kind])).to.deep.equal([["8", "locked"]]);
    // The fixture's one issue(batch, 7, holder, [1, 0]) call: tokens 7 and 8 for leaves 1 and 0.
    const issuances = await get("/api/audit/chain/issuances", "auditor");
    expect(
      issuances.body.items.map((row: { batch_id: string; first_token_id: string; token_count: string; leaf_indexes: string[] }) => [
        row.batch_id,
        row.first_token_id,
        row.token_count,
        row.leaf_indexes,
      ]),
    ).to.deep.equal([[String(fixture.batchId), "7", "2", ["1", "0"]]]);
    expect(issuances.body.items[0].transaction_hash).to.match(/^0x[0-9a-f]{64}$/);
    // Nothing was paid through the PaymentRouter here: an empty page, for auditors only.
    expect((await get("/api/audit/chain/payments", "buyer")).status).to.equal(403);
    const payments = await get("/api/audit/chain/payments", "auditor");
    expect([payments.status, payments.body]).to.deep.equal([200, { items: [], nextCursor: null }]);
  });

  it("serves the reconciliation report as JSON and CSV, and the audit log", async () => {
    const report = await get("/api/audit/reconciliation", "auditor");
    expect(report.status, report.text).to.equal(200);
    expect(report.body.items.map((finding: { kind: string; subject: string }) => [finding.kind, finding.subject])).to.deep.equal([["mismatch", "key"]]);
    const csv = await get("/api/audit/reconciliation?format=csv", "auditor");
    expect(csv.headers.get("content-type")).to.match(/text\/csv/);
    expect(csv.text.split("\r\n")[0]).to.equal("id,run_id,kind,subject,subject_id,details,created_at");
    expect(csv.text).to.contain('"mismatch","key"');
    // The run asked for by id: its own findings, and 404 for a run that never was.
    const byId = await get(`/api/audit/reconciliation?runId=${report.body.run.id}`, "auditor");
    expect(byId.body.items).to.deep.equal(report.body.items);
    const noRun = await get("/api/audit/reconciliation?runId=999999", "auditor");
    expect([noRun.status, noRun.body.code]).to.deep.equal([404, "not_found"]);
    const log = await get("/api/audit/log", "auditor");
    expect(log.body.items[0].what.action).to.equal("keys.import");
    expect(log.body.items[0].who.email).to.equal("m@example.test");
  });
});
