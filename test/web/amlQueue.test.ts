// The platform console's AML tab in Chromium (docs/compliance.md, "Decisions"): alerts raised by
// the real payout rules over a crafted ledger history; an admin opens one and sees the ledger
// entry behind it, clears it (English), freezes another and then releases it (Chinese). Each
// decision is checked in the database: the alert's state, the decision rows with their reasons,
// and the shop's payable and holds, worked out by hand from the amounts (fee 5%).
import { expect } from "chai";
import { requestPayout } from "../../api/ledger/flows.ts";
import { reviewPayout } from "../../api/services/compliance/aml.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { demoTotpSecrets } from "../../scripts/lib/seedDemo.ts";
import { craftBuyer, craftSale, craftShop, day, testAmlSettings } from "../compliance/ledgerHistory.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, signInThroughPage, watchPageErrors } from "./browser.ts";

describe("AML tab of the platform console in Chromium (en, zh-CN)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform({ seed: true, keysPerProduct: 1 });
  });
  after(async () => {
    await platform?.stopAll();
  });

  const balance = async (shopId: bigint, purpose: string) =>
    BigInt(
      (await queryOne<{ b: string }>(
        platform.database.db,
        sql`SELECT coalesce(sum(balance_minor), 0)::text AS b FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${shopId} AND purpose = ${purpose} AND currency = 'CNY'`,
      ))!.b,
    );

  /** A payout request at the threshold, reviewed by the real rules: one payout_threshold alert. */
  async function heldPayout(shopId: bigint, payoutId: string, amountMinor: bigint) {
    await requestPayout(platform.database.db, { payoutId, shopId, amountMinor, currency: "CNY", expiresAt: new Date(Date.now() + day) });
    const fired = await reviewPayout(
      platform.database.db,
      { ...testAmlSettings, payoutVelocityCount: 1000 },
      { payoutId, shopId, amountMinor, currency: "CNY" },
    );
    expect(fired).to.deep.equal(["payout_threshold"]);
    const alert = await queryOne<{ id: string }>(platform.database.db, sql`SELECT id::text FROM aml_alerts WHERE payout_id = ${payoutId}`);
    // The payout request's ledger transaction, found by its reference (not through the alert).
    const request = await queryRows<{ id: string }>(
      platform.database.db,
      sql`SELECT id::text FROM ledger_transactions WHERE reference_id = ${payoutId} ORDER BY id`,
    );
    return { alertId: alert!.id, transactionIds: request.map((row) => row.id) };
  }

  const alertState = async (alertId: string) =>
    (await queryOne<{ state: string }>(platform.database.db, sql`SELECT state FROM aml_alerts WHERE id = ${BigInt(alertId)}`))!.state;

  it("lists alerts, shows their entries, clears one, freezes and releases another", async () => {
    const shop = await craftShop(platform.database, "aml-web");
    await craftSale(platform.database, shop, 4_000_000n, new Date(Date.now() - day), { accountId: await craftBuyer(platform.database, "aml-web-buyer") });
    // Payable 3,800,000 (4,000,000 less 5%); two payouts held: 1,500,000 and 1,200,000.
    const cleared = await heldPayout(shop.shopId, "aml-web-1", 1_500_000n);
    const frozen = await heldPayout(shop.shopId, "aml-web-2", 1_200_000n);
    expect(await balance(shop.shopId, "payable")).to.equal(1_100_000n);
    const admin = { ...platform.logins.admin, totpSecret: demoTotpSecrets.admin };

    const english = await launchBrowser({ locale: "en-US" });
    try {
      const page = await english.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, admin, "/admin/aml");
      await page.getByTestId("admin-tab-aml").getByText("AML alerts").waitFor();
      const row = page.getByTestId(`aml-row-${cleared.alertId}`);
      await row.getByText("Payout above the threshold").waitFor();
      await row.getByText("¥15,000.00").waitFor();
      await page.getByTestId(`aml-row-${frozen.alertId}`).getByText("¥12,000.00").waitFor();
      await row.getByRole("button", { name: "Open" }).click();
      const review = page.getByTestId("aml-review");
      await review.getByRole("heading", { name: `Alert #${cleared.alertId}` }).waitFor();
      // The evidence is the payout request's journal entry, shown with its reference.
      const evidence = await queryRows<{ id: string }>(
        platform.database.db,
        sql`SELECT transaction_id::text AS id FROM aml_alert_entries WHERE alert_id = ${BigInt(cleared.alertId)} ORDER BY transaction_id`,
      );
      expect(evidence.map((row) => row.id)).to.deep.equal(cleared.transactionIds);
      for (const id of cleared.transactionIds) await review.getByTestId(`aml-entry-${id}`).getByText("aml-web-1").waitFor();
      await review.getByLabel("Clear").check();
      await review.getByLabel("Reason (kept for the regulator)").fill("Known merchant, payout matches sales.");
      await review.getByRole("button", { name: "Record the decision" }).click();
      await review.getByTestId("aml-review-state").getByText("Cleared").waitFor();
      await page.getByTestId(`aml-row-${cleared.alertId}`).waitFor({ state: "detached" });
      expect(await alertState(cleared.alertId)).to.equal("cleared");
      const clearRows = await queryRows<{ decision: string; reason: string }>(
        platform.database.db,
        sql`SELECT decision, reason FROM aml_decisions WHERE alert_id = ${BigInt(cleared.alertId)} ORDER BY id`,
      );
      expect(clearRows).to.deep.equal([{ decision: "clear", reason: "Known merchant, payout matches sales." }]);
      expect(errors).to.deep.equal([]);
    } finally {
      await english.close();
    }

    const chinese = await launchBrowser({ locale: "zh-CN" });
    try {
      const page = await chinese.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, admin, "/admin/aml");
      await page.getByTestId(`aml-row-${frozen.alertId}`).getByRole("button", { name: "查看" }).click();
      const review = page.getByTestId("aml-review");
      await review.getByLabel("冻结", { exact: true }).check();
      await review.getByLabel("冻结金额（可选）").fill("10000.00");
      await review.getByLabel("理由（留存供监管查阅）").fill("等待资金来源说明。");
      await review.getByRole("button", { name: "记录决定" }).click();
      await review.getByTestId("aml-review-state").getByText("已冻结").waitFor();
      expect(await alertState(frozen.alertId)).to.equal("frozen");
      // The held payout's 1,200,000 went back to the payable, then 1,000,000 was frozen:
      // payable 1,100,000 + 1,200,000 - 1,000,000 = 1,300,000; holds: the cleared payout's
      // 1,500,000 (it still awaits approval) + the freeze's 1,000,000.
      expect(await balance(shop.shopId, "payable")).to.equal(1_300_000n);
      expect(await balance(shop.shopId, "holds")).to.equal(2_500_000n);

      await review.getByLabel("释放冻结").check();
      await review.getByLabel("理由（留存供监管查阅）").fill("资金来源已核实。");
      await review.getByRole("button", { name: "记录决定" }).click();
      await review.getByTestId("aml-review-state").getByText("已释放").waitFor();
      await review.getByTestId("aml-history").getByText("资金来源已核实。").waitFor();
      expect(await alertState(frozen.alertId)).to.equal("released");
      expect(await balance(shop.shopId, "payable")).to.equal(2_300_000n);
      expect(await balance(shop.shopId, "holds")).to.equal(1_500_000n);
      expect(errors).to.deep.equal([]);
    } finally {
      await chinese.close();
    }
  });
});
