// docs/deployment.md followed step by step, each part its own process as an operator runs it:
// `hardhat node` (the chain), `keyledger deploy` (contracts and the deployment file), `keyledger
// admin create` (the first admin, with TOTP), then the API, the workers and the indexer on a
// fresh PostgreSQL database and Redis, each reading the deployment file. It checks every
// process's /readyz, that the admin signs in with the printed password and a code from the
// printed TOTP secret, and that a sale goes through: a merchant's keys imported and anchored, an
// order paid through the EPay sandbox and fulfilled, and the indexer catching up with the chain.
import { expect } from "chai";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { queryOne, sql } from "../../core/store/database.ts";
import { deleteRedisKeys } from "../../scripts/lib/deleteRedisKeys.ts";
import { freePort, localChainAccounts } from "../../scripts/lib/localChain.ts";
import { stopChild } from "../../scripts/lib/stopChild.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { testEnv } from "../support/env.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { HttpClient, type TestPlatform, waitFor } from "../support/platform.ts";
import { freshTotpCode } from "../support/totp.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = path.join(root, "node_modules/.bin");

type Running = { name: string; child: ChildProcess; output: () => string };

/** Starts `command` as the guide writes it, with node_modules/.bin first on PATH. */
function start(name: string, command: string, args: string[], env: Record<string, string>): Running {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return { name, child, output: () => output };
}

/** Runs a command to its end; answers its exit code and output. */
async function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  const running = start(command, command, args, env);
  const code = await new Promise<number>((resolve) => running.child.once("exit", (exitCode) => resolve(exitCode ?? 1)));
  return { code, output: running.output() };
}

async function ready(url: string, running: Running): Promise<void> {
  await waitFor(
    `${running.name} ready at ${url}`,
    async () => {
      if (running.child.exitCode !== null) throw new Error(`${running.name} exited (${running.child.exitCode}):\n${running.output().slice(-3000)}`);
      const answer = await fetch(`${url}/readyz`).catch(() => undefined);
      return answer?.status === 200;
    },
    120_000,
    250,
  );
}

describe("docs/deployment.md, step by step, in separate processes", function () {
  this.timeout(600_000);
  const processes: Running[] = [];
  let database: TestDatabase;
  let workDir: string;
  const queuePrefix = `kldeploy-${randomBytes(4).toString("hex")}`;

  after(async () => {
    for (const running of processes.reverse()) await stopChild(running.child);
    await deleteRedisKeys(testEnv.redisUrl, queuePrefix).catch(() => {});
    await database?.drop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("deploys, creates the first admin, runs the API, workers and indexer apart, and sells a key", async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), "keyledger-deploy-"));
    database = await createServerDatabase();
    const [chainPort, apiPort, workersHealthPort, indexerHealthPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const rpcUrl = `http://127.0.0.1:${chainPort}`;
    const deploymentFile = path.join(workDir, "deployment.json");
    const publicUrl = `http://127.0.0.1:${apiPort}`;
    const metricsToken = randomBytes(24).toString("hex");
    // The guide's "Configure" step: one environment file for every process.
    const env: Record<string, string> = {
      NODE_ENV: "production",
      HARDHAT_DISABLE_TELEMETRY: "true",
      LOG_LEVEL: "info",
      DATABASE_URL: database.url!,
      REDIS_URL: testEnv.redisUrl,
      QUEUE_PREFIX: queuePrefix,
      CHAIN_RPC_URL: rpcUrl,
      CHAIN_OPERATOR_KEY: localChainAccounts.deployer,
      DEPLOYMENT_FILE: deploymentFile,
      MASTER_KEY: randomBytes(32).toString("hex"),
      QUERY_PASSWORD_PEPPER: randomBytes(32).toString("hex"),
      ALTCHA_HMAC_KEY: randomBytes(32).toString("hex"),
      API_KEY_HASH_KEY: randomBytes(32).toString("hex"),
      EPAY_SANDBOX_SECRET: randomBytes(32).toString("hex"),
      PUBLIC_URL: publicUrl,
      METRICS_TOKEN: metricsToken,
      INDEXER_FINALITY_DEPTH: "2",
      INDEXER_POLL_INTERVAL_MS: "300",
      ISSUE_BATCH_WAIT_MS: "200",
      // Step 6's merchant is the suites' helper, which opens its shop without confirming an email
      // and imports in one go (docs/saas.md covers the self-service limits with their own test).
      SAAS_LIMITS_ENFORCED: "false",
    };

    // 1. The chain: `hardhat node` (node_modules/.bin first on PATH: it needs Node 22), mining a block a second.
    const chain = start("hardhat node", "hardhat", ["node", "--hostname", "127.0.0.1", "--port", String(chainPort)], env);
    processes.push(chain);
    await waitFor("hardhat node", async () => {
      if (chain.child.exitCode !== null) throw new Error(`hardhat node exited:\n${chain.output()}`);
      const answer = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
      }).catch(() => undefined);
      return answer?.ok;
    });
    await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"jsonrpc":"2.0","id":2,"method":"evm_setIntervalMining","params":[1000]}',
    });

    // 2. keyledger deploy.
    const deployed = await run("node", ["scripts/cli/keyledger.ts", "deploy", "--out", deploymentFile], env);
    expect(deployed.code, deployed.output).to.equal(0);
    const deployment = JSON.parse(readFileSync(deploymentFile, "utf8"));
    expect(deployment).to.include({ version: 1, chainId: 31337 });
    for (const address of Object.values(deployment.contracts as Record<string, string>)) expect(address).to.match(/^0x[0-9a-fA-F]{40}$/);
    // A second deploy to the same file is refused: the file names live contracts.
    expect((await run("node", ["scripts/cli/keyledger.ts", "deploy", "--out", deploymentFile], env)).code).to.equal(2);

    // 3. keyledger admin create: the password, the TOTP secret and the recovery codes, printed once.
    const adminEmail = `admin-${randomBytes(3).toString("hex")}@example.com`;
    const created = await run("node", ["scripts/cli/keyledger.ts", "admin", "create", "--email", adminEmail], env);
    expect(created.code, created.output).to.equal(0);
    const password = /password: +(\S+)/.exec(created.output)![1]!;
    const totpSecret = /TOTP secret: +([A-Z2-7]+)/.exec(created.output)![1]!;
    expect(created.output).to.match(/otpauth:\/\/totp\/Keyledger:/);

    // 4. The API, the workers and the indexer, each its own process.
    const api = start("api", "node", ["api/main.ts"], { ...env, PORT: String(apiPort) });
    const workers = start("workers", "node", ["api/jobs/main.ts"], { ...env, HEALTH_PORT: String(workersHealthPort) });
    const indexer = start("indexer", "node", ["indexer/main.ts"], { ...env, HEALTH_PORT: String(indexerHealthPort) });
    processes.push(api, workers, indexer);
    await ready(publicUrl, api);
    await ready(`http://127.0.0.1:${workersHealthPort}`, workers);
    await ready(`http://127.0.0.1:${indexerHealthPort}`, indexer);
    const indexerMetrics = await fetch(`http://127.0.0.1:${indexerHealthPort}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(await indexerMetrics.text()).to.match(/^keyledger_indexer_lag_blocks\{part="indexer"\} \d+$/m);

    // 5. The admin signs in with the second factor and sees the queues.
    const http = new HttpClient(publicUrl);
    const login = await http.post("/api/auth/login", { email: adminEmail, password });
    expect(login.body?.state, login.text).to.equal("second_factor_required");
    const second = await http.post("/api/auth/second-factor", { pendingToken: login.body.pendingToken, code: await freshTotpCode(totpSecret) });
    expect(second.status, second.text).to.equal(200);
    const queues = await http.as(second.body.token).get("/api/admin/queues/api/queues");
    expect(queues.status, queues.text.slice(0, 300)).to.equal(200);

    // 6. A sale: keys imported and anchored (workers), an order paid and fulfilled (API + workers).
    const platformView = { http, url: publicUrl, ctx: { config: { payments: { epaySandboxSecret: env.EPAY_SANDBOX_SECRET } } } } as unknown as TestPlatform;
    const setup = await setupMerchant(platformView);
    const productId = await createProduct(setup, { name: "Deployed card" });
    const keys = randomKeys(2, "DEPLOY");
    await importKeys(setup, productId, keys);
    const checkout = await http.post("/api/orders", { productId, quantity: 1, contact: "buyer@example.com", queryPassword: "deploy-pass" });
    expect(checkout.status, checkout.text).to.equal(201);
    const order = checkout.body.order as { id: string; amountMinor: string };
    const paid = await fetch(publicUrl + notifyPath(setup.shopId, signedNotification(setup.sandbox, order, `T-DEPLOY-${order.id}`)));
    expect(await paid.text()).to.equal("success");
    await waitFor(
      "the order fulfilled by the workers",
      async () => (await queryOne<{ state: string }>(database.db, sql`SELECT state FROM orders WHERE id = ${order.id}`))?.state === "fulfilled",
      60_000,
      200,
    );
    // The indexer (its own process) records the batch's anchor from the chain.
    await waitFor(
      "the indexer to record the batch anchor",
      async () => Number((await queryOne<{ count: string }>(database.db, sql`SELECT count(*)::text AS count FROM chain_batch_anchors`))?.count ?? 0) >= 1,
      60_000,
      300,
    );
    // The request ids the API gave reached the workers' log.
    expect(workers.output()).to.match(/"requestId":"[^"]+".*"msg":"job done"/);
  });
});
