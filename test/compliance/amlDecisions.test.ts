// AML decisions against the real PostgreSQL server (docs/compliance.md, "Decisions"): a payout an
// alert holds cannot be approved while it is open or frozen, a freeze is a ledger hold on the
// shop's payable, and races between approvals, freezes, clears and new payout requests never pay
// out held money. Figures are worked out by hand from the amounts (fee 5%).
import { expect } from "chai";
import { requestPayout } from "../../api/ledger/flows.ts";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import { approvePayoutAfterReview, decideAlert, reviewPayout } from "../../api/services/compliance/aml.ts";
import { exportAmlCsv, exportAmlJson } from "../../api/services/compliance/amlExport.ts";
import { hashPendingEntries } from "../../api/ledger/hasher.ts";
import { verifyInclusion } from "../../api/ledger/merkleLog.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { balanceOf, codeOf, craftBuyer, craftSale, craftShop, day, testAmlSettings } from "./ledgerHistory.ts";

describe("AML decisions, freezes and races (PostgreSQL)", function () {
  this.timeout(240_000);
  let database: TestDatabase;
  let admin: bigint;
  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 12 });
    admin = await craftBuyer(database, "aml-admin");
  });
  after(async () => {
    await database?.drop();
  });

  const balance = (ownerType: string, ownerId: bigint, purpose: string) => balanceOf(database, ownerType, ownerId, purpose);
  const platformPayouts = () => balance("platform", 0n, "payouts");
  const alertOf = async (payoutId: string) =>
    BigInt((await queryOne<{ id: string }>(database.db, sql`SELECT id::text FROM aml_alerts WHERE payout_id = ${payoutId} ORDER BY id LIMIT 1`))!.id);
  const approve = (payoutId: string) => database.db.transaction((tx) => approvePayoutAfterReview(tx, payoutId));
  const decide = (alertId: bigint, decision: "clear" | "freeze" | "release", amountMinor?: bigint) =>
    database.db.transaction((tx) => decideAlert(tx, { alertId, decision, reason: `test ${decision}`, actorId: admin, amountMinor }));

  async function heldPayout(shopId: bigint, payoutId: string, amountMinor: bigint): Promise<bigint> {
    await requestPayout(database.db, { payoutId, shopId, amountMinor, currency: "CNY", expiresAt: new Date(Date.now() + day) });
    // Velocity off here: one alert per payout, so the decisions below are on the only alert that holds it.
    const settings = { ...testAmlSettings, payoutVelocityCount: 1000 };
    expect(await reviewPayout(database.db, settings, { payoutId, shopId, amountMinor, currency: "CNY" })).to.deep.equal(["payout_threshold"]);
    return alertOf(payoutId);
  }

  it("a held payout is refused while open and frozen, approved once cleared; a freeze holds the amount and a release gives it back", async () => {
    const shop = await craftShop(database, "decide");
    await craftSale(database, shop, 4_000_000n, new Date(Date.now() - day), { accountId: await craftBuyer(database, "b") });
    // Payable 3,800,000 (4,000,000 less 5%).
    const before = await platformPayouts();
    const alert = await heldPayout(shop.shopId, "decide-1", 1_500_000n);
    expect(await codeOf(approve("decide-1"))).to.equal("aml_review_pending");
    expect(await platformPayouts()).to.equal(before);
    await decide(alert, "clear");
    expect(await codeOf(decide(alert, "freeze"))).to.equal("invalid_state");
    expect((await approve("decide-1")).state).to.equal("posted");
    expect(await platformPayouts()).to.equal(before + 1_500_000n);

    const frozenAlert = await heldPayout(shop.shopId, "decide-2", 1_200_000n);
    const frozen = await decide(frozenAlert, "freeze");
    expect(frozen.state).to.equal("frozen");
    // The payout's hold was voided back and the freeze holds the same amount: payable 3,800,000 -
    // 1,500,000 paid - 1,200,000 frozen = 1,100,000; holds 1,200,000.
    expect(await balance("shop", shop.shopId, "payable")).to.equal(1_100_000n);
    expect(await balance("shop", shop.shopId, "holds")).to.equal(1_200_000n);
    expect(await codeOf(approve("decide-2"))).to.equal("aml_review_pending");
    // The frozen amount cannot be paid out by a new request either: only 1,100,000 is payable.
    expect(
      await codeOf(
        requestPayout(database.db, {
          payoutId: "decide-3",
          shopId: shop.shopId,
          amountMinor: 1_100_001n,
          currency: "CNY",
          expiresAt: new Date(Date.now() + day),
        }),
      ),
    ).to.equal("insufficient_funds");
    await decide(frozenAlert, "release");
    expect(await balance("shop", shop.shopId, "payable")).to.equal(2_300_000n);
    expect(await balance("shop", shop.shopId, "holds")).to.equal(0n);
    // The released payout stays rejected (its hold was voided): approving it is refused for good.
    expect(await codeOf(approve("decide-2"))).to.equal("invalid_state");
    expect(await platformPayouts()).to.equal(before + 1_500_000n);
    const decisions = await queryRows<{ decision: string }>(database.db, sql`SELECT decision FROM aml_decisions WHERE alert_id = ${frozenAlert} ORDER BY id`);
    expect(decisions.map((row) => row.decision)).to.deep.equal(["freeze", "release"]);
  });

  it("race: approvals, a clear and a freeze of one held payout at once; paid out only when the clear won, never with a freeze", async () => {
    const shop = await craftShop(database, "race");
    await craftSale(database, shop, 20_000_000n, new Date(Date.now() - day), { accountId: await craftBuyer(database, "r") });
    const outcomes = { cleared: 0, frozen: 0 };
    for (let round = 0; round < 8; round++) {
      const payoutId = `race-${round}`;
      const alert = await heldPayout(shop.shopId, payoutId, 1_000_000n);
      const paidBefore = await platformPayouts();
      const results = await Promise.all([
        codeOf(approve(payoutId)),
        codeOf(round % 2 === 0 ? decide(alert, "clear") : decide(alert, "freeze")),
        codeOf(round % 2 === 0 ? decide(alert, "freeze") : decide(alert, "clear")),
        codeOf(approve(payoutId)),
        codeOf(approve(payoutId)),
      ]);
      const state = (await queryOne<{ state: string }>(database.db, sql`SELECT state FROM aml_alerts WHERE id = ${alert}`))!.state;
      const hold = (await queryOne<{ state: string }>(
        database.db,
        sql`SELECT state FROM ledger_holds WHERE reference_type = 'payout' AND reference_id = ${payoutId}`,
      ))!.state;
      const paid = (await platformPayouts()) - paidBefore;
      // Exactly one decision wins; the other finds it decided.
      expect([results[1], results[2]].sort(), `round ${round}: ${results}`).to.deep.equal(["invalid_state", "ok"]);
      if (state === "frozen") {
        outcomes.frozen++;
        expect(hold).to.equal("voided");
        expect(paid).to.equal(0n);
        for (const approval of [results[0], results[3], results[4]]) expect(approval).to.be.oneOf(["aml_review_pending", "invalid_state"]);
        // A late approval still finds it held.
        expect(await codeOf(approve(payoutId))).to.equal("aml_review_pending");
      } else {
        outcomes.cleared++;
        expect(state).to.equal("cleared");
        // Approvals before the clear were refused; once cleared, paid once (a repeat answers the same resolution).
        if (hold === "pending") expect(await codeOf(approve(payoutId))).to.equal("ok");
        expect(await platformPayouts()).to.equal(paidBefore + 1_000_000n);
      }
    }
    expect(outcomes.cleared + outcomes.frozen).to.equal(8);
    expect(await checkLedgerInvariants(database.db)).to.deep.include({ negativeFloors: [], holdMismatches: [], unbalancedTransactions: [] });
  });

  it("race: a freeze of a structuring alert against a payout request for the same payable; exactly one takes it", async () => {
    for (let round = 0; round < 6; round++) {
      const shop = await craftShop(database, `freeze-race-${round}`);
      const wallet = `0x${"77".repeat(20)}`;
      // 12 payments of 500: payable 12 x 475 = 5,700.
      for (let n = 0; n < 12; n++) await craftSale(database, shop, 500n, new Date(Date.now() - 3_600_000 + n * 60_000), { wallet });
      const alert = await queryOne<{ id: string }>(
        database.db,
        sql`INSERT INTO aml_alerts (rule, dedupe_key, shop_id, currency, amount_minor) VALUES ('structuring', ${`race-${round}-${shop.shopId}`}, ${shop.shopId}, 'CNY', 5700) RETURNING id::text`,
      );
      const results = await Promise.all([
        codeOf(decide(BigInt(alert!.id), "freeze")),
        codeOf(
          requestPayout(database.db, {
            payoutId: `freeze-race-${round}`,
            shopId: shop.shopId,
            amountMinor: 5_700n,
            currency: "CNY",
            expiresAt: new Date(Date.now() + day),
          }),
        ),
      ]);
      expect(results.sort(), `round ${round}`).to.deep.equal(["insufficient_funds", "ok"]);
      expect(await balance("shop", shop.shopId, "payable")).to.equal(0n);
      expect(await balance("shop", shop.shopId, "holds")).to.equal(5_700n);
    }
  });

  it("the regulator's export: every alert and decision, each evidence entry with an inclusion proof that verifies", async () => {
    await hashPendingEntries(database.db, { batchSizeMax: 100_000 });
    const exported = await exportAmlJson(database.db);
    const decisions = Number((await queryOne<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM aml_decisions`))!.n);
    const alerts = Number((await queryOne<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM aml_alerts`))!.n);
    expect(exported.alerts).to.have.length(alerts);
    expect(exported.alerts.flatMap((alert) => alert.decisions)).to.have.length(decisions);
    let proved = 0;
    for (const alert of exported.alerts) {
      for (const entry of alert.entries) {
        const proof = entry.inclusionProof!;
        expect(proof, `entry ${entry.transactionId}`).to.not.equal(null);
        const ok = verifyInclusion(
          BigInt(proof.leafIndex),
          BigInt(proof.treeSize),
          Buffer.from(proof.leafHash.slice(2), "hex"),
          proof.path.map((hash) => Buffer.from(hash.slice(2), "hex")),
          Buffer.from(proof.root.slice(2), "hex"),
        );
        expect(ok, `entry ${entry.transactionId}`).to.equal(true);
        proved++;
      }
    }
    expect(proved).to.be.greaterThan(0);
    const csv = await exportAmlCsv(database.db);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).to.equal(
      '"alert_id","rule","shop_id","distributor_account_id","payout_id","currency","amount_minor","alert_created_at","state","transaction_ids","decision","reason","decided_by","decided_at","hold_id"',
    );
    // One row per decision, one for each undecided alert.
    const undecided = exported.alerts.filter((alert) => alert.decisions.length === 0).length;
    expect(lines.length - 1).to.equal(decisions + undecided);
  });
});
