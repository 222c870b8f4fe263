// The platform console in Chromium: an admin signed in with the second factor adds an email to
// the shared blacklist, which then blocks that email's checkout in a shop the admin does not own
// (403 risk_blocked), and removes it again, after which the checkout goes through. Both changes
// are in the audit log. A merchant is not shown the console, and the page speaks Chinese in a
// Chinese browser. docs/abuse.md ("Risk rules").
import { expect } from "chai";
import { queryRows, queryOne, sql } from "../../core/store/database.ts";
import { demoTotpSecrets } from "../../scripts/lib/seedDemo.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, signInThroughPage, watchPageErrors, type Browser } from "./browser.ts";

describe("platform console: the shared blacklist in Chromium", function () {
  this.timeout(180_000);
  let platform: TestPlatform;
  let browser: Browser;
  let productId: string;
  const blocked = `blocked-${Date.now()}@example.com`;

  before(async () => {
    // The suites lift the block threshold (test/support/platform.ts); this one needs the real one.
    platform = await startTestPlatform({ seed: true, keysPerProduct: 4, env: { RISK_BLOCK_SCORE: "100" } });
    browser = await launchBrowser({ locale: "en-US" });
    const product = await queryOne<{ id: string }>(
      platform.database.db,
      sql`SELECT p.id::text AS id FROM products p JOIN shops s ON s.id = p.shop_id WHERE s.slug = 'demo' AND p.delivery_mode = 'automatic' ORDER BY p.id LIMIT 1`,
    );
    productId = product!.id;
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
  });

  const checkout = (contact: string) => platform.http.post("/api/orders", { productId, quantity: 1, contact, queryPassword: "admin-console-1" });

  it("an admin adds an email to the shared list (it blocks checkouts in the demo shop) and removes it (they go through)", async () => {
    const before = await checkout(blocked);
    expect(before.status, before.text).to.equal(201);

    const page = await browser.context.newPage();
    const errors = watchPageErrors(page);
    await signInThroughPage(page, platform.url, { ...platform.logins.admin, totpSecret: demoTotpSecrets.admin }, "/merchant");
    await page.getByTestId("nav-admin").click();
    await page.getByRole("heading", { name: "Platform console" }).waitFor();
    await page.getByTestId("admin-tab-blacklist").click();
    await page.getByTestId("blacklist-form").getByLabel("Value").fill(blocked.toUpperCase());
    await page.getByTestId("blacklist-form").getByLabel("Reason (optional)").fill("card testing");
    await page.getByTestId("blacklist-form").getByRole("button", { name: "Add" }).click();
    const row = page.getByTestId("blacklist-table").getByRole("row").filter({ hasText: blocked });
    await row.waitFor();

    const entries = await queryRows<{ shop_id: string | null; value: string }>(platform.database.db, sql`SELECT shop_id::text, value FROM blacklist_entries`);
    expect(entries).to.deep.equal([{ shop_id: null, value: blocked }]);
    const refused = await checkout(blocked);
    expect(refused.status, refused.text).to.equal(403);
    expect(refused.body.code).to.equal("risk_blocked");

    await row.getByRole("button", { name: "Remove" }).click();
    await page.getByText("The blacklist is empty").waitFor();
    expect(await queryRows(platform.database.db, sql`SELECT 1 FROM blacklist_entries`)).to.have.length(0);
    const after = await checkout(blocked);
    expect(after.status, after.text).to.equal(201);

    const audit = await queryRows<{ action: string }>(platform.database.db, sql`SELECT action FROM audit_log WHERE action LIKE 'blacklist.%' ORDER BY id`);
    expect(audit.map((entry) => entry.action)).to.deep.equal(["blacklist.added", "blacklist.removed"]);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("a merchant has no console link and is told to sign in as an administrator", async () => {
    const page = await browser.context.newPage();
    await signInThroughPage(page, platform.url, platform.logins.merchant, "/merchant");
    expect(await page.getByTestId("nav-admin").count()).to.equal(0);
    await page.goto(`${platform.url}/admin`);
    await page.getByText("Sign in as an administrator").waitFor();
    await page.close();
  });

  it("speaks Chinese in a Chinese browser", async () => {
    const chinese = await launchBrowser({ locale: "zh-CN" });
    try {
      const page = await chinese.context.newPage();
      await signInThroughPage(page, platform.url, { ...platform.logins.admin, totpSecret: demoTotpSecrets.admin }, "/admin/blacklist");
      await page.getByRole("heading", { name: "平台控制台" }).waitFor();
      await page.getByTestId("admin-tab-blacklist").getByText("共享黑名单").waitFor();
    } finally {
      await chinese.close();
    }
  });
});
