// The AML rules over crafted ledger histories (docs/compliance.md, "AML rules"), against the real
// PostgreSQL server: each rule fires on a history made to trip it and stays quiet on an ordinary
// one. Histories are real ledger entries (postOrderPayment, requestPayout) of orders whose payment
// times are set in the past; every expected figure is worked out by hand in the test.
import { expect } from "chai";
import { requestPayout } from "../../api/ledger/flows.ts";
import { expectLedgerInvariantsHold } from "../support/ledgerInvariants.ts";
import { getAlert, reviewPayout, runAmlSweep } from "../../api/services/compliance/aml.ts";
import { queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { craftBuyer, craftSale, craftShop, day, flaggedInConfig, testAmlSettings } from "./ledgerHistory.ts";

/** 30+ days of the same three ¥100 sales a day from three different payers: nothing out of the ordinary. */
async function ordinaryHistory(database: TestDatabase, shop: { shopId: bigint; productId: bigint }, now: Date, days: number): Promise<void> {
  const buyers = [await craftBuyer(database, "regular-a"), await craftBuyer(database, "regular-b")];
  for (let d = days; d >= 0; d--) {
    const at = new Date(now.getTime() - d * day - 3_600_000);
    await craftSale(database, shop, 10_000n, at, { accountId: buyers[0] });
    await craftSale(database, shop, 10_000n, new Date(at.getTime() + 60_000), { accountId: buyers[1] });
    await craftSale(database, shop, 10_000n, new Date(at.getTime() + 120_000), { contact: `guest-${d}@example.com` });
  }
}

async function alertsOf(database: TestDatabase, shopId: bigint): Promise<{ id: string; rule: string; amount_minor: string; payout_id: string | null }[]> {
  return queryRows(database.db, sql`SELECT id::text, rule, amount_minor::text, payout_id FROM aml_alerts WHERE shop_id = ${shopId} ORDER BY id`);
}

async function evidenceOf(database: TestDatabase, alertId: string): Promise<bigint[]> {
  const rows = await queryRows<{ transaction_id: string }>(
    database.db,
    sql`SELECT transaction_id::text FROM aml_alert_entries WHERE alert_id = ${BigInt(alertId)} ORDER BY transaction_id`,
  );
  return rows.map((row) => BigInt(row.transaction_id));
}

const sorted = (ids: bigint[]) => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("AML rules over crafted ledger histories (PostgreSQL)", function () {
  this.timeout(240_000);
  let database: TestDatabase;
  const now = new Date();
  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
  });
  after(async () => {
    await database?.drop();
  });

  it("an ordinary history (steady daily sales, a few small buys, modest payouts) raises nothing", async () => {
    const shop = await craftShop(database, "ordinary");
    await ordinaryHistory(database, shop, now, 34);
    // One payer buying small cards, but only 9 of them: one fewer than the structuring count.
    const wallet = `0x${"ab".repeat(20)}`;
    for (let n = 0; n < 9; n++) await craftSale(database, shop, 500n, new Date(now.getTime() - (n + 1) * 600_000), { wallet });
    const sweep = await runAmlSweep(database.db, testAmlSettings, { now });
    expect(sweep.alerts).to.equal(0);
    // Two payouts within the day (velocity count 3), each below the ¥10,000 threshold, to an unflagged wallet.
    for (const [n, amount] of [400_000n, 50_000n].entries()) {
      const payoutId = `ordinary-${shop.shopId}-${n}`;
      await requestPayout(database.db, { payoutId, shopId: shop.shopId, amountMinor: amount, currency: "CNY", expiresAt: new Date(now.getTime() + day) });
      expect(await reviewPayout(database.db, testAmlSettings, { payoutId, shopId: shop.shopId, amountMinor: amount, currency: "CNY", wallet })).to.deep.equal(
        [],
      );
    }
    expect(await alertsOf(database, shop.shopId)).to.deep.equal([]);
  });

  it("structuring: 12 payments of ¥5 from one wallet within two hours raise one alert showing exactly those 12 entries", async () => {
    const shop = await craftShop(database, "structuring");
    await ordinaryHistory(database, shop, now, 3);
    const wallet = `0x${"5a".repeat(20)}`;
    const expected: bigint[] = [];
    for (let n = 0; n < 12; n++) expected.push(await craftSale(database, shop, 500n, new Date(now.getTime() - 7_200_000 + n * 600_000), { wallet }));
    // Another payer: 12 payments too, but of ¥60 each, above the ¥50 small-payment figure.
    const bigger = await craftBuyer(database, "bigger");
    for (let n = 0; n < 12; n++) await craftSale(database, shop, 6_000n, new Date(now.getTime() - 7_000_000 + n * 600_000), { accountId: bigger });
    await runAmlSweep(database.db, testAmlSettings, { now });
    const alerts = await alertsOf(database, shop.shopId);
    expect(alerts.map((alert) => [alert.rule, alert.amount_minor])).to.deep.equal([["structuring", "6000"]]);
    expect(await evidenceOf(database, alerts[0]!.id)).to.deep.equal(sorted(expected));
    const view = await getAlert(database.db, BigInt(alerts[0]!.id));
    expect(view.details).to.include({ payer: `wallet:${wallet}`, payments: 12 });
    // Every evidence entry credits the shop's payable 475 (¥5 less the 5% fee).
    for (const entry of view.entries) {
      expect(entry.kind).to.equal("order_payment");
      expect(entry.postings.find((p) => p.ownerType === "shop" && p.purpose === "payable")?.amountMinor).to.equal("475");
    }
    // Evaluated again (a later sweep, the same entries): nothing new.
    await database.db.execute(sql`UPDATE sweep_cursors SET position = 0 WHERE name = 'aml-payments-from'`);
    await runAmlSweep(database.db, testAmlSettings, { now });
    expect(await alertsOf(database, shop.shopId)).to.have.length(1);
  });

  it("volume spike: ¥5,000 in a day against thirty days of ¥100 a day raises an alert with that day's entries; the ordinary ¥300 a day does not", async () => {
    const shop = await craftShop(database, "spike");
    const buyer = await craftBuyer(database, "steady");
    for (let d = 31; d >= 1; d--) await craftSale(database, shop, 10_000n, new Date(now.getTime() - d * day - 3_600_000), { accountId: buyer });
    const expected: bigint[] = [];
    for (let n = 0; n < 10; n++) {
      const buyerN = await craftBuyer(database, `spike-${n}`);
      expected.push(await craftSale(database, shop, 50_000n, new Date(now.getTime() - (n + 1) * 1_800_000), { accountId: buyerN }));
    }
    await runAmlSweep(database.db, testAmlSettings, { now });
    const alerts = await alertsOf(database, shop.shopId);
    // Recent 10 x 50,000 = 500,000 fen; the 30 days before hold 30 x 10,000 = 300,000: an average
    // of 10,000 a day, and 500,000 > 5 x 10,000 and >= the 100,000 floor.
    expect(alerts.map((alert) => [alert.rule, alert.amount_minor])).to.deep.equal([["volume_spike", "500000"]]);
    expect(await evidenceOf(database, alerts[0]!.id)).to.deep.equal(sorted(expected));
    expect((await getAlert(database.db, BigInt(alerts[0]!.id))).details).to.include({ recentMinor: "500000", averageMinor: "10000" });
  });

  it("a new shop with no history does not spike on its first busy day (KYC limits bound it instead)", async () => {
    const shop = await craftShop(database, "newshop");
    for (let n = 0; n < 10; n++)
      await craftSale(database, shop, 50_000n, new Date(now.getTime() - (n + 1) * 1_800_000), { accountId: await craftBuyer(database, `new-${n}`) });
    await runAmlSweep(database.db, testAmlSettings, { now });
    expect(await alertsOf(database, shop.shopId)).to.deep.equal([]);
  });

  it("payout rules: at the threshold, the third request in a day, and a flagged wallet (listed or configured) each hold the payout", async () => {
    const shop = await craftShop(database, "payouts");
    await craftSale(database, shop, 10_000_000n, new Date(now.getTime() - day), { accountId: await craftBuyer(database, "big") });
    const request = async (n: number, amountMinor: bigint, wallet?: string) => {
      const payoutId = `payouts-${shop.shopId}-${n}`;
      const posted = await requestPayout(database.db, {
        payoutId,
        shopId: shop.shopId,
        amountMinor,
        currency: "CNY",
        expiresAt: new Date(now.getTime() + day),
      });
      return {
        payoutId,
        transactionId: posted.transactionId,
        fired: await reviewPayout(database.db, testAmlSettings, { payoutId, shopId: shop.shopId, amountMinor, currency: "CNY", wallet }),
      };
    };
    const first = await request(1, 1_000_000n);
    expect(first.fired).to.deep.equal(["payout_threshold"]);
    const second = await request(2, 999_999n);
    expect(second.fired).to.deep.equal([]);
    const third = await request(3, 1_000n);
    expect(third.fired).to.deep.equal(["payout_velocity"]);
    const alerts = await alertsOf(database, shop.shopId);
    expect(alerts.map((alert) => [alert.rule, alert.payout_id])).to.deep.equal([
      ["payout_threshold", first.payoutId],
      ["payout_velocity", third.payoutId],
    ]);
    expect(await evidenceOf(database, alerts[0]!.id)).to.deep.equal([first.transactionId]);
    expect(await evidenceOf(database, alerts[1]!.id)).to.deep.equal(sorted([first.transactionId, second.transactionId, third.transactionId]));

    const other = await craftShop(database, "wallets");
    await craftSale(database, other, 100_000n, new Date(now.getTime() - day), { accountId: await craftBuyer(database, "w") });
    const listed = `0x${"de".repeat(20)}`;
    await database.db.execute(sql`INSERT INTO aml_flagged_wallets (address, reason) VALUES (${listed}, 'sanctions list entry')`);
    const payout = async (n: number, wallet: string) => {
      const payoutId = `wallets-${other.shopId}-${n}`;
      await requestPayout(database.db, { payoutId, shopId: other.shopId, amountMinor: 1_000n, currency: "CNY", expiresAt: new Date(now.getTime() + day) });
      return reviewPayout(database.db, testAmlSettings, { payoutId, shopId: other.shopId, amountMinor: 1_000n, currency: "CNY", wallet });
    };
    expect(await payout(1, `0x${"12".repeat(20)}`)).to.deep.equal([]);
    expect(await payout(2, listed.toUpperCase().replace("0X", "0x"))).to.deep.equal(["flagged_wallet"]);
    // The third request of the day is also a velocity alert; the configured wallet still fires.
    expect(await payout(3, flaggedInConfig)).to.deep.equal(["payout_velocity", "flagged_wallet"]);
    const walletAlerts = await queryRows<{ details: { wallet: string; listedBecause: string } }>(
      database.db,
      sql`SELECT details FROM aml_alerts WHERE shop_id = ${other.shopId} AND rule = 'flagged_wallet' ORDER BY id`,
    );
    expect(walletAlerts.map((row) => row.details)).to.deep.equal([
      { wallet: listed, listedBecause: "sanctions list entry" },
      { wallet: flaggedInConfig, listedBecause: "configured (AML_FLAGGED_WALLETS)" },
    ]);
    await expectLedgerInvariantsHold(database.db);
  });
});
