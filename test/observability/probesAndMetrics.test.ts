// The API's probes, metrics, request ids and queue dashboard on a running platform with a
// private Redis this suite stops and starts again (docs/operations.md):
// - /readyz answers 200, then 503 naming the `redis` check while Redis is down, then 200 again;
//   and 503 naming `lifecycle` from the moment a shutdown starts.
// - /api/metrics counts requests under their route template (an order id never becomes a label),
//   only for the METRICS_TOKEN or an admin.
// - a request's X-Request-Id is answered back and reaches the worker's log line of the import
//   job the request enqueued.
// - the queue dashboard answers an admin with a second-factor session, and nobody else.
// Checked by breaking the code once each: with the Redis check removed from
// platformReadinessChecks the outage test failed (200 while Redis was down); with labelRoute's
// template replaced by req.url the label test failed (the order's id appeared as a route); with
// the request id left out of enqueue.ts's job data no worker line carried it.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { shutDown } from "../../core/shutdown.ts";
import { startLocalRedis, type LocalRedis } from "../../scripts/lib/localRedis.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { createStaffAccount } from "../support/staff.ts";

const metricsToken = randomBytes(24).toString("hex");

/** Prometheus text as samples, parsed here independently of prom-client. */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

describe("probes, metrics, request ids and the queue dashboard", function () {
  this.timeout(300_000);
  let redis: LocalRedis;
  let platform: TestPlatform;
  let setup: MerchantSetup;
  const logLines: string[] = [];

  before(async () => {
    redis = await startLocalRedis();
    platform = await startTestPlatform({
      env: { REDIS_URL: redis.url, METRICS_TOKEN: metricsToken, READY_CHECK_TIMEOUT_MS: "1000" },
      logLevel: "info",
      logDestination: { write: (line) => void logLines.push(line) },
    });
    setup = await setupMerchant(platform);
  });
  after(async () => {
    if (redis.process.exitCode !== null || redis.process.signalCode !== null)
      redis = await startLocalRedis(undefined, { port: Number(new URL(redis.url).port) });
    await platform?.stopAll();
    await redis?.stop();
  });

  const checksOf = (body: { checks: Array<{ name: string; ok: boolean }> }) => Object.fromEntries(body.checks.map((check) => [check.name, check.ok]));

  it("is alive, and ready only while Redis answers", async () => {
    expect((await platform.http.get("/healthz")).status).to.equal(200);
    const ready = await platform.http.get("/readyz");
    expect(ready.status, ready.text).to.equal(200);
    expect(checksOf(ready.body)).to.deep.equal({ lifecycle: true, database: true, redis: true, queue_lag: true, chain: true, indexer_lag: true });

    await redis.stop();
    const down = await waitFor("/readyz to answer 503", async () => {
      const answer = await platform.http.get("/readyz");
      return answer.status === 503 ? answer : undefined;
    });
    expect(checksOf(down.body).redis).to.equal(false);
    expect(checksOf(down.body).database).to.equal(true);
    // Still alive: a liveness probe must not restart a process for a dependency's outage.
    expect((await platform.http.get("/healthz")).status).to.equal(200);

    redis = await startLocalRedis(undefined, { port: Number(new URL(redis.url).port) });
    const back = await waitFor(
      "/readyz to answer 200 again",
      async () => {
        const answer = await platform.http.get("/readyz");
        return answer.status === 200 ? answer : undefined;
      },
      30_000,
      200,
    );
    expect(checksOf(back.body).redis).to.equal(true);
  });

  it("counts requests under their route template, for the metrics token or an admin only", async () => {
    const scrape = async () => samples((await platform.http.request("GET", "/api/metrics", undefined, { authorization: `Bearer ${metricsToken}` })).text);
    const countOf = (all: ReturnType<typeof samples>, route: string, status: string) =>
      all.find(
        (sample) => sample.name === "keyledger_http_request_duration_seconds_count" && sample.labels.route === route && sample.labels.status_code === status,
      )?.value ?? 0;
    const before = await scrape();
    for (let i = 0; i < 3; i++) expect((await platform.http.get("/api/config/public")).status).to.equal(200);
    // An order that does not exist (refused without its access token): its id must not become a label.
    const missingOrder = `9${randomBytes(3).readUIntBE(0, 3)}`;
    expect((await platform.http.get(`/api/orders/${missingOrder}`)).status).to.be.within(400, 499);
    const after = await scrape();
    expect(countOf(after, "/api/config/public", "200") - countOf(before, "/api/config/public", "200")).to.equal(3);
    const orderRoutes = after.filter(
      (sample) => sample.name === "keyledger_http_request_duration_seconds_count" && sample.labels.route?.startsWith("/api/orders/"),
    );
    expect(orderRoutes.map((sample) => sample.labels.route)).to.include("/api/orders/:orderId");
    expect(
      after.some((sample) => Object.values(sample.labels).some((value) => value.includes(missingOrder))),
      "an order id became a label",
    ).to.equal(false);
    for (const name of [
      "keyledger_queue_jobs",
      "keyledger_queue_oldest_waiting_age_seconds",
      "keyledger_chain_writer_backlog",
      "keyledger_ledger_hash_chain_lag_entries",
    ]) {
      expect(
        after.some((sample) => sample.name === name),
        name,
      ).to.equal(true);
    }
    expect(after.filter((sample) => sample.name === "keyledger_queue_jobs").map((sample) => sample.labels.queue)).to.include.members([
      "fulfilment",
      "imports",
      "chain",
      "maintenance",
    ]);

    expect((await platform.http.get("/api/metrics")).status).to.equal(401);
    expect((await platform.http.request("GET", "/api/metrics", undefined, { authorization: `Bearer ${metricsToken}x` })).status).to.equal(401);
    expect((await setup.merchant.get("/api/metrics")).status).to.equal(403);
    const admin = await createStaffAccount(platform, "metrics-admin", ["admin"]);
    const asAdmin = await admin.http.get("/api/metrics");
    expect(asAdmin.status).to.equal(200);
    expect(asAdmin.text).to.include("keyledger_http_request_duration_seconds_bucket");
  });

  it("exports every metric the Grafana dashboard (ops/grafana/keyledger.json) queries", async () => {
    const dashboard = JSON.parse(readFileSync(new URL("../../ops/grafana/keyledger.json", import.meta.url), "utf8")) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const queried = new Set(
      dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/\b(?:keyledger|process)_[a-z0-9_]+/g) ?? [])),
    );
    expect(queried.size).to.be.greaterThan(8);
    // The indexer's first checkpoint makes its lag measurable.
    const scraped = await waitFor("the indexer lag among the metrics", async () => {
      const all = samples((await platform.http.request("GET", "/api/metrics", undefined, { authorization: `Bearer ${metricsToken}` })).text);
      return all.some((sample) => sample.name === "keyledger_indexer_lag_blocks") ? all : undefined;
    });
    const exported = new Set(scraped.map((sample) => sample.name));
    expect([...queried].filter((name) => !exported.has(name))).to.deep.equal([]);
  });

  it("answers with the request id and carries it to the worker's log line of the job the request enqueued", async () => {
    const productId = await createProduct(setup, { name: "Request id card" });
    const chosen = `req-${randomBytes(6).toString("hex")}`;
    const response = await setup.merchant.request("POST", `/api/products/${productId}/imports`, randomKeys(3, "RID").join("\n"), {
      "content-type": "text/plain",
      "x-request-id": chosen,
    });
    expect(response.status, response.text).to.equal(202);
    expect(response.headers.get("x-request-id")).to.equal(chosen);
    const line = await waitFor("a worker log line of the import job with the request id", async () =>
      logLines
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => entry.requestId === chosen && entry.queue === "imports" && entry.msg === "job done"),
    );
    expect(line.jobId).to.equal(`import-${response.body.importId}`);
    // An id a client must not choose (a line break would forge log lines) is replaced.
    const unsafe = await platform.http.request("GET", "/healthz", undefined, { "x-request-id": "bad id\twith tab" });
    expect(unsafe.headers.get("x-request-id")).to.match(/^[0-9a-f-]{36}$/);
    await importKeys(setup, productId, randomKeys(1, "RID2"));
  });

  it("shows the queue dashboard to an admin with a second-factor session and to nobody else", async () => {
    const admin = await createStaffAccount(platform, "queues-admin", ["admin"]);
    const page = await admin.http.get("/api/admin/queues");
    expect(page.status, page.text.slice(0, 200)).to.equal(200);
    expect(page.headers.get("content-type")).to.match(/text\/html/);
    const queues = await admin.http.get("/api/admin/queues/api/queues");
    expect(queues.status, queues.text.slice(0, 200)).to.equal(200);
    expect((queues.body.queues as Array<{ name: string }>).map((queue) => queue.name).sort()).to.deep.equal(["chain", "fulfilment", "imports", "maintenance"]);

    expect((await platform.http.get("/api/admin/queues/api/queues")).status).to.equal(401);
    expect((await setup.merchant.get("/api/admin/queues/api/queues")).status).to.equal(403);
    const auditor = await createStaffAccount(platform, "queues-auditor", ["auditor"]);
    expect((await auditor.http.get("/api/admin/queues")).status).to.equal(403);
    // An admin signed in with the password alone: staff roles are withheld without the second factor.
    const passwordOnly = await platform.http.post("/api/auth/login", { email: admin.email, password: admin.password });
    expect(passwordOnly.body.state).to.equal("second_factor_required");
    expect((await platform.http.as(passwordOnly.body.pendingToken).get("/api/admin/queues")).status).to.equal(401);
  });

  it("is not ready from the moment a shutdown starts", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const stopping = shutDown({
      logger: platform.ctx.logger,
      deadlineMs: 10_000,
      reason: "test",
      state: platform.ctx.observability.state,
      steps: [{ name: "held", run: () => held }],
    });
    const answer = await platform.http.get("/readyz");
    expect(answer.status).to.equal(503);
    expect(checksOf(answer.body).lifecycle).to.equal(false);
    release();
    await stopping;
    platform.ctx.observability.state.draining = false;
  });
});
