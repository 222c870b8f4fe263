// What an auditor sees on the demo `npm start` runs (the embedded PGlite store, seeded demo shop,
// the indexer reconciling on a timer): no finding while the database is untouched, and exactly
// one, naming the right batch and both roots, once a batch root is changed directly in the
// store. The roots are read back with PostgreSQL's own encode(), outside the code under test.
// And the ledger audit of the same demo in one command, through the API's journal export (the
// embedded store has no URL another process could open).
import { expect } from "chai";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { queryOne, sql } from "../../core/store/database.ts";
import { demoLogins, demoTotpSecrets } from "../../scripts/lib/seedDemo.ts";
import { signInWithTotp } from "../support/staff.ts";
import { freshTotpCode } from "../support/totp.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type HttpClient, type TestPlatform } from "../support/platform.ts";

type Report = {
  // Rows checked per section of the run; a history this small is all in every run's full-pass slice.
  run: { id: string; checked: { fullPass: { batches: number; issuances: number } } } | null;
  items: { kind: string; subject: string; subjectId: string; details: unknown }[];
};

const root = fileURLToPath(new URL("../../", import.meta.url));

/** `keyledger audit ledger ...` as a separate process: its exit code and output. */
async function auditLedger(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(`${root}node_modules/.bin/node`, ["scripts/cli/keyledger.ts", "audit", "ledger", ...args], {
      cwd: root,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("auditor's view of the embedded demo", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let auditor: HttpClient;

  before(async () => {
    platform = await startTestPlatform({ store: "pglite", seed: true, env: { INDEXER_RECONCILE_INTERVAL_MS: "1000" } });
    auditor = await signInWithTotp(platform, { ...demoLogins.auditor, totpSecret: demoTotpSecrets.auditor });
  });
  after(async () => {
    await platform?.stopAll();
  });

  /** The first reconciliation run after `afterRunId` that has checked every batch and sale. */
  const nextCompleteRun = async (afterRunId: bigint, batches: number, issuances: number) => {
    let latest: Report | undefined;
    try {
      return await waitFor(
        "a reconciliation run covering every batch and sale",
        async () => {
          const response = await auditor.get<Report>("/api/audit/reconciliation");
          expect(response.status, response.text).to.equal(200);
          latest = response.body;
          const { run } = response.body;
          return run && BigInt(run.id) > afterRunId && run.checked.fullPass.batches === batches && run.checked.fullPass.issuances === issuances
            ? response.body
            : undefined;
        },
        120_000,
        250,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message} The latest report: ${JSON.stringify(latest)}`);
    }
  };

  it("shows no finding on an untouched demo, and one, the right one, after a batch root is tampered with", async () => {
    expect(platform.ctx.database.kind).to.equal("pglite");
    const db = platform.ctx.database.db;
    // A sale on top of the demo's anchored stock, so issuances are reconciled too.
    const setup = await setupMerchant(platform);
    const productId = await createProduct(setup);
    await importKeys(setup, productId, randomKeys(3, "AUD"));
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 2, contact: "auditor-test@example.com", queryPassword: "pass-1234" });
    expect(checkout.status, checkout.text).to.equal(201);
    expect((await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "T-AUDIT-1")))).text).to.equal("success");
    const batches = Number((await queryOne<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM batches`))!.n);
    expect(batches, "four demo batches and this test's").to.equal(5);

    const untouched = await nextCompleteRun(0n, batches, 2);
    expect(untouched.items).to.deep.equal([]);

    const target = (await queryOne<{ id: string; root: string }>(db, sql`SELECT id::text, encode(root, 'hex') AS root FROM batches ORDER BY id LIMIT 1`))!;
    const fakeRoot = randomBytes(32).toString("hex");
    await db.execute(sql`UPDATE batches SET root = decode(${fakeRoot}, 'hex') WHERE id = ${BigInt(target.id)}`);
    const tampered = await nextCompleteRun(BigInt(untouched.run!.id), batches, 2);
    expect(tampered.items.map(({ kind, subject, subjectId, details }) => ({ kind, subject, subjectId, details }))).to.deep.equal([
      { kind: "mismatch", subject: "batch", subjectId: target.id, details: { root: { database: `0x${fakeRoot}`, chain: `0x${target.root}` } } },
    ]);
  });

  it("audits the running demo's ledger in one command, through the API, against the chain", async () => {
    const entries = Number((await queryOne<{ n: number }>(platform.ctx.database.db, sql`SELECT count(*)::int AS n FROM ledger_chain`))!.n);
    expect(entries, "the sale's entries are chained").to.be.greaterThan(0);
    const chain = ["--rpc", platform.rpcUrl, "--anchor-address", platform.chainAddresses.ledgerAnchor!];
    const audit = await auditLedger([
      "--api",
      platform.url,
      "--email",
      demoLogins.auditor.email,
      "--password",
      demoLogins.auditor.password,
      "--totp",
      await freshTotpCode(demoTotpSecrets.auditor),
      ...chain,
      "--json",
    ]);
    expect(audit.code, audit.stderr).to.equal(0);
    const report = JSON.parse(audit.stdout) as { ok: boolean; entriesChecked: number; findings: unknown[] };
    expect(report.ok).to.equal(true);
    expect(report.findings).to.deep.equal([]);
    expect(report.entriesChecked).to.be.at.least(entries);
    // A buyer may not read the books; a wrong password is refused; both say so and exit 2.
    const buyer = await auditLedger(["--api", platform.url, "--email", demoLogins.buyer.email, "--password", demoLogins.buyer.password]);
    expect(buyer.code).to.equal(2);
    expect(buyer.stderr).to.match(/the journal export answered 403/);
    const wrong = await auditLedger(["--api", platform.url, "--email", demoLogins.auditor.email, "--password", "not-the-password"]);
    expect(wrong.code).to.equal(2);
    expect(wrong.stderr).to.match(/sign-in answered 401/);
    expect(wrong.stderr).not.to.include("not-the-password");
  });
});
