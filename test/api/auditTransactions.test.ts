// An audit row and the change it records commit together or not at all. A deferred constraint
// trigger (test-only, installed in this suite's own database) makes the commit fail after both
// the change and its audit row were written: neither may persist. Before the audit row moved into
// the change's transaction, the routes committed the change first and lost the audit row.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { startTestPlatform, type HttpClient, type TestPlatform } from "../support/platform.ts";
import { createStaffAccount } from "../support/staff.ts";

describe("audit rows commit or roll back with their change", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let merchant: HttpClient;
  let admin: HttpClient;

  async function signUp(roles: string[]): Promise<{ client: HttpClient; accountId: string }> {
    const suffix = randomBytes(4).toString("hex");
    const response = await platform.http.post("/api/auth/signup", { email: `audit-${suffix}@example.com`, password: "audit-password-1", roles });
    expect(response.status, response.text).to.equal(201);
    return { client: platform.http.as(response.body.token), accountId: String(response.body.account.id) };
  }

  async function auditRows(action: string, subject: string): Promise<number> {
    const rows = await queryRows<{ id: bigint }>(platform.database.db, sql`SELECT id FROM audit_log WHERE action = ${action} AND subject = ${subject}`);
    return rows.length;
  }

  /** From now on, committing a transaction that wrote an audit row with this action (only) fails. */
  async function failCommitsOf(action: string): Promise<void> {
    await platform.database.db.execute(sql`DELETE FROM test_failing_audit_actions`);
    await platform.database.db.execute(sql`INSERT INTO test_failing_audit_actions (action) VALUES (${action})`);
  }

  before(async () => {
    platform = await startTestPlatform({ workers: false, indexer: false });
    const db = platform.database.db;
    await db.execute(sql`CREATE TABLE test_failing_audit_actions (action text PRIMARY KEY)`);
    await db.execute(
      sql.raw(`
      CREATE FUNCTION test_fail_audited_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM test_failing_audit_actions WHERE action = NEW.action) THEN
          RAISE EXCEPTION 'forced failure at commit of a transaction that audited %', NEW.action;
        END IF;
        RETURN NULL;
      END $$`),
    );
    await db.execute(
      sql.raw(`
      CREATE CONSTRAINT TRIGGER test_fail_audited_commit AFTER INSERT ON audit_log
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_fail_audited_commit()`),
    );
    merchant = (await signUp(["merchant"])).client;
    admin = (await createStaffAccount(platform, "admin", ["admin"])).http;
  });
  beforeEach(async () => {
    await platform.database.db.execute(sql`DELETE FROM test_failing_audit_actions`);
  });
  after(async () => {
    await platform?.stopAll();
  });

  it("a created shop always has its audit row; a failed commit leaves neither", async () => {
    const created = await merchant.post("/api/shops", { slug: `audited-${randomBytes(3).toString("hex")}`, name: "Audited" });
    expect(created.status, created.text).to.equal(201);
    expect(await auditRows("shop.created", `shop:${created.body.id}`)).to.equal(1);

    await failCommitsOf("shop.created");
    const slug = `lost-${randomBytes(3).toString("hex")}`;
    const failed = await merchant.post("/api/shops", { slug, name: "Never committed" });
    expect(failed.status, failed.text).to.equal(500);
    expect(await queryOne(platform.database.db, sql`SELECT id FROM shops WHERE slug = ${slug}`)).to.equal(undefined);
    const audited = await queryRows<{ subject: string }>(platform.database.db, sql`SELECT subject FROM audit_log WHERE action = 'shop.created'`);
    expect(audited.map((row) => row.subject)).to.deep.equal([`shop:${created.body.id}`]);
  });

  it("EPay settings change with their audit row or not at all", async () => {
    const shop = await merchant.post("/api/shops", { slug: `epay-${randomBytes(3).toString("hex")}`, name: "EPay" });
    expect(shop.status, shop.text).to.equal(201);
    const path = `/api/shops/${shop.body.id}/payment-settings/epay`;
    const saved = await merchant.put(path, { gatewayUrl: "http://127.0.0.1:9/epay/", pid: "1001", key: "first-key-123" });
    expect(saved.status, saved.text).to.equal(204);
    expect(await auditRows("shop.epay_configured", `shop:${shop.body.id}`)).to.equal(1);

    await failCommitsOf("shop.epay_configured");
    const failed = await merchant.put(path, { gatewayUrl: "http://127.0.0.1:9/other/", pid: "2002", key: "second-key-456" });
    expect(failed.status, failed.text).to.equal(500);
    const row = await queryOne<{ epay_pid: string; epay_gateway_url: string }>(
      platform.database.db,
      sql`SELECT epay_pid, epay_gateway_url FROM shops WHERE id = ${BigInt(shop.body.id)}`,
    );
    expect(row).to.deep.equal({ epay_pid: "1001", epay_gateway_url: "http://127.0.0.1:9/epay/" });
    expect(await auditRows("shop.epay_configured", `shop:${shop.body.id}`)).to.equal(1);
  });

  it("granted roles change with their audit row or not at all", async () => {
    const target = await signUp(["buyer"]);
    const granted = await admin.post(`/api/admin/accounts/${target.accountId}/roles`, { roles: ["reseller"] });
    expect(granted.status, granted.text).to.equal(200);
    expect(await auditRows("account.roles_granted", `account:${target.accountId}`)).to.equal(1);

    await failCommitsOf("account.roles_granted");
    const failed = await admin.post(`/api/admin/accounts/${target.accountId}/roles`, { roles: ["auditor"] });
    expect(failed.status, failed.text).to.equal(500);
    const row = await queryOne<{ roles: string[] }>(platform.database.db, sql`SELECT roles FROM accounts WHERE id = ${BigInt(target.accountId)}`);
    expect(row!.roles).to.deep.equal(["buyer", "reseller"]);
    expect(await auditRows("account.roles_granted", `account:${target.accountId}`)).to.equal(1);
  });
});
