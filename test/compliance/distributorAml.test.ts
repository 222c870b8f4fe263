// The AML payout rules over distributors' payouts (docs/compliance.md, "AML rules"), against the
// real PostgreSQL server: an agent's or referrer's payout request is reviewed in its own
// transaction like a shop's; each rule fires on a crafted history and stays quiet on an ordinary
// one; a freeze is a ledger hold on the distributor's proceeds; an approval racing a freeze never
// pays out frozen money. Every figure is worked out by hand in the test.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import { postJournal } from "../../api/ledger/postJournal.ts";
import { approvePayoutAfterReview, decideAlert, flagWallet, getAlert } from "../../api/services/compliance/aml.ts";
import { requestReviewedDistributorPayout } from "../../api/services/distribution/reviewedPayouts.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { balanceOf, codeOf, craftBuyer, day, flaggedInConfig, testAmlSettings } from "./ledgerHistory.ts";

describe("AML payout rules over distributors' payouts (PostgreSQL)", function () {
  this.timeout(240_000);
  let database: TestDatabase;
  let admin: bigint;
  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 12 });
    admin = await craftBuyer(database, "aml-dist-admin");
  });
  after(async () => {
    await database?.drop();
  });

  /** A distributor with `proceedsMinor` of released earnings (an operator's adjustment stands in for released sales). */
  async function craftDistributor(label: string, proceedsMinor: bigint): Promise<bigint> {
    const accountId = await craftBuyer(database, label);
    await postJournal(database.db, {
      idempotencyKey: `test:${label}:${randomBytes(4).toString("hex")}`,
      kind: "adjustment",
      reference: { type: "adjustment", id: `test-${label}` },
      postings: [
        { account: { ownerType: "platform", ownerId: 0n, purpose: "adjustments" }, amountMinor: -proceedsMinor, currency: "CNY" },
        { account: { ownerType: "distributor", ownerId: accountId, purpose: "proceeds" }, amountMinor: proceedsMinor, currency: "CNY" },
      ],
    });
    return accountId;
  }

  const balance = (ownerType: string, ownerId: bigint, purpose: string) => balanceOf(database, ownerType, ownerId, purpose);

  /** The payout request as the route makes it: one transaction for the hold, the wallet and the rules. */
  const payout = (accountId: bigint, requestId: string, amountMinor: bigint, wallet?: string, settings = testAmlSettings) =>
    database.db.transaction((tx) =>
      requestReviewedDistributorPayout(tx, settings, { accountId, requestId, amountMinor, currency: "CNY", expiresAt: new Date(Date.now() + day), wallet }),
    );
  const alertsOf = (accountId: bigint) =>
    queryRows<{ id: string; rule: string; payout_id: string; shop_id: string | null }>(
      database.db,
      sql`SELECT id::text, rule, payout_id, shop_id::text FROM aml_alerts a WHERE distributor_account_id = ${accountId} ORDER BY a.id`,
    );
  const approve = (payoutId: string) => database.db.transaction((tx) => approvePayoutAfterReview(tx, payoutId));
  const decide = (alertId: bigint, decision: "clear" | "freeze" | "release", amountMinor?: bigint) =>
    database.db.transaction((tx) => decideAlert(tx, { alertId, decision, reason: `test ${decision}`, actorId: admin, amountMinor }));
  const requestEntry = async (payoutId: string) =>
    (await queryOne<{ id: string }>(database.db, sql`SELECT id::text FROM ledger_transactions WHERE idempotency_key = ${`payout:${payoutId}:request`}`))!.id;

  it("an ordinary history (two payouts in a day, below the threshold, to an unlisted wallet) raises nothing", async () => {
    const agent = await craftDistributor("ordinary-agent", 2_000_000n);
    const first = await payout(agent, "o1", 999_999n, `0x${"ab".repeat(20)}`);
    const second = await payout(agent, "o2", 500_000n);
    expect([first.amlReview, second.amlReview]).to.deep.equal([[], []]);
    expect(await alertsOf(agent)).to.deep.equal([]);
    // Another distributor's and a shop's requests of the day do not count towards this one's velocity.
    const other = await craftDistributor("ordinary-other", 100_000n);
    expect((await payout(other, "x1", 1_000n)).amlReview).to.deep.equal([]);
    expect((await payout(agent, "o3", 1_000n, undefined, { ...testAmlSettings, payoutVelocityCount: 4 })).amlReview).to.deep.equal([]);
    // Both approve at once: no alert holds them.
    expect((await approve(first.payoutId)).state).to.equal("posted");
    expect((await approve(second.payoutId)).state).to.equal("posted");
  });

  it("each rule fires on a crafted history, its alert naming the distributor and listing the ledger entries that caused it", async () => {
    const agent = await craftDistributor("crafted-agent", 5_000_000n);
    // Threshold: ¥10,000 (1,000,000 fen) at or above.
    const big = await payout(agent, "t1", 1_000_000n);
    expect(big.amlReview).to.deep.equal(["payout_threshold"]);
    // Velocity: the third request of the day (count 3), evidence every request of the window.
    const small = await payout(agent, "v2", 10_000n);
    expect(small.amlReview).to.deep.equal([]);
    const third = await payout(agent, "v3", 10_000n);
    expect(third.amlReview).to.deep.equal(["payout_velocity"]);
    // Flagged wallets: one an admin listed, one configured (AML_FLAGGED_WALLETS); the 4th and 5th of the day are velocity too.
    const listed = `0x${"5e".repeat(20)}`;
    await flagWallet(database.db, { address: listed, reason: "sanctions list", actorId: admin });
    const toListed = await payout(agent, "w4", 10_000n, listed);
    expect(toListed.amlReview).to.deep.equal(["payout_velocity", "flagged_wallet"]);
    const toConfigured = await payout(agent, "w5", 10_000n, flaggedInConfig.toUpperCase().replace("0X", "0x"));
    expect(toConfigured.amlReview).to.deep.equal(["payout_velocity", "flagged_wallet"]);

    const alerts = await alertsOf(agent);
    expect(alerts.map((alert) => [alert.rule, alert.payout_id, alert.shop_id])).to.deep.equal([
      ["payout_threshold", big.payoutId, null],
      ["payout_velocity", third.payoutId, null],
      ["payout_velocity", toListed.payoutId, null],
      ["flagged_wallet", toListed.payoutId, null],
      ["payout_velocity", toConfigured.payoutId, null],
      ["flagged_wallet", toConfigured.payoutId, null],
    ]);
    const view = (index: number) => getAlert(database.db, BigInt(alerts[index]!.id));
    const threshold = await view(0);
    expect([threshold.distributorAccountId, threshold.shopId]).to.deep.equal([agent.toString(), null]);
    expect(threshold.entries.map((entry) => entry.transactionId)).to.deep.equal([await requestEntry(`distributor-${agent}-t1`)]);
    // The request moved 1,000,000 from the distributor's proceeds to its payout holds.
    expect(threshold.entries[0]!.postings.map((p) => [p.ownerType, p.purpose, p.amountMinor])).to.have.deep.members([
      ["distributor", "proceeds", "-1000000"],
      ["distributor", "payout_holds", "1000000"],
    ]);
    const velocity = await view(1);
    expect(velocity.entries.map((entry) => entry.transactionId)).to.deep.equal(
      await Promise.all(["t1", "v2", "v3"].map((id) => requestEntry(`distributor-${agent}-${id}`))),
    );
    const flagged = await view(3);
    expect(flagged.details).to.deep.include({ wallet: listed, listedBecause: "sanctions list" });
    expect((await view(5)).details).to.deep.include({ wallet: flaggedInConfig, listedBecause: "configured (AML_FLAGGED_WALLETS)" });
    // The wallet is recorded against the distributor (its own data: in its export).
    const destination = await queryOne<{ distributor_account_id: string; shop_id: string | null }>(
      database.db,
      sql`SELECT distributor_account_id::text, shop_id::text FROM payout_destinations WHERE payout_id = ${toListed.payoutId}`,
    );
    expect(destination).to.deep.equal({ distributor_account_id: agent.toString(), shop_id: null });
    // A retried request answers what the first one raised, and raises nothing new.
    expect((await payout(agent, "w4", 10_000n, listed)).amlReview).to.deep.equal(["payout_velocity", "flagged_wallet"]);
    expect(await alertsOf(agent)).to.have.length(6);
  });

  it("a held payout is approved only once cleared; a freeze holds the amount on the proceeds, a release gives it back", async () => {
    const agent = await craftDistributor("decide-agent", 3_000_000n);
    const paidBefore = await balance("platform", 0n, "payouts");
    const held = await payout(agent, "d1", 1_200_000n);
    expect(held.amlReview).to.deep.equal(["payout_threshold"]);
    const [alert] = await alertsOf(agent);
    expect(await codeOf(approve(held.payoutId))).to.equal("aml_review_pending");
    await decide(BigInt(alert!.id), "clear");
    expect((await approve(held.payoutId)).state).to.equal("posted");
    expect(await balance("platform", 0n, "payouts")).to.equal(paidBefore + 1_200_000n);

    // 3,000,000 - 1,200,000 paid = 1,800,000 proceeds; a second held payout of 1,500,000, frozen for 1,000,000 of it.
    const second = await payout(agent, "d2", 1_500_000n);
    const frozenAlert = BigInt((await alertsOf(agent))[1]!.id);
    expect(await codeOf(decide(frozenAlert, "freeze", 1_500_001n))).to.equal("validation_failed");
    const frozen = await decide(frozenAlert, "freeze", 1_000_000n);
    expect(frozen.state).to.equal("frozen");
    // The payout's hold was voided back (proceeds 1,800,000), then 1,000,000 held: proceeds 800,000, payout holds 1,000,000.
    expect(await balance("distributor", agent, "proceeds")).to.equal(800_000n);
    expect(await balance("distributor", agent, "payout_holds")).to.equal(1_000_000n);
    const hold = await queryOne<{ kind: string; state: string; amount_minor: string }>(
      database.db,
      sql`SELECT t.kind, h.state, h.amount_minor::text FROM ledger_holds h JOIN ledger_transactions t ON t.id = h.tx_id WHERE h.id = ${BigInt(frozen.holdId!)}`,
    );
    expect(hold).to.deep.equal({ kind: "aml_freeze", state: "pending", amount_minor: "1000000" });
    expect(await codeOf(approve(second.payoutId))).to.equal("aml_review_pending");
    // No new request can take the frozen money.
    expect(await codeOf(payout(agent, "d3", 800_001n, undefined, { ...testAmlSettings, payoutVelocityCount: 1000 }))).to.equal("insufficient_funds");
    await decide(frozenAlert, "release");
    expect(await balance("distributor", agent, "proceeds")).to.equal(1_800_000n);
    expect(await balance("distributor", agent, "payout_holds")).to.equal(0n);
    expect(await balance("platform", 0n, "payouts")).to.equal(paidBefore + 1_200_000n);
    expect(await checkLedgerInvariants(database.db)).to.deep.include({ negativeFloors: [], holdMismatches: [], unbalancedTransactions: [] });
  });

  it("race: approvals against a freeze (and a clear) of one held distributor payout; never paid out when the freeze wins", async () => {
    const agent = await craftDistributor("race-agent", 20_000_000n);
    const settings = { ...testAmlSettings, payoutVelocityCount: 1000 };
    const outcomes = { cleared: 0, frozen: 0 };
    for (let round = 0; round < 8; round++) {
      const held = await payout(agent, `race-${round}`, 1_000_000n, undefined, settings);
      expect(held.amlReview).to.deep.equal(["payout_threshold"]);
      const alert = BigInt((await alertsOf(agent)).at(-1)!.id);
      const paidBefore = await balance("platform", 0n, "payouts");
      const proceedsBefore = await balance("distributor", agent, "proceeds");
      const freezeFirst = round % 2 === 0;
      const results = await Promise.all([
        codeOf(approve(held.payoutId)),
        codeOf(decide(alert, freezeFirst ? "freeze" : "clear")),
        codeOf(approve(held.payoutId)),
        codeOf(decide(alert, freezeFirst ? "clear" : "freeze")),
        codeOf(approve(held.payoutId)),
      ]);
      expect([results[1], results[3]].sort(), `round ${round}: ${results}`).to.deep.equal(["invalid_state", "ok"]);
      const state = (await queryOne<{ state: string }>(database.db, sql`SELECT state FROM aml_alerts WHERE id = ${alert}`))!.state;
      const paid = (await balance("platform", 0n, "payouts")) - paidBefore;
      if (state === "frozen") {
        outcomes.frozen++;
        expect(paid, `round ${round}`).to.equal(0n);
        // The payout's 1,000,000 went back to the proceeds and the freeze holds it again: proceeds unchanged, all of it frozen.
        expect(await balance("distributor", agent, "proceeds")).to.equal(proceedsBefore);
        expect(await codeOf(approve(held.payoutId))).to.equal("aml_review_pending");
        await decide(alert, "release");
      } else {
        outcomes.cleared++;
        expect(state).to.equal("cleared");
        if (paid === 0n) expect((await approve(held.payoutId)).state).to.equal("posted");
        expect(await balance("platform", 0n, "payouts")).to.equal(paidBefore + 1_000_000n);
      }
    }
    expect(outcomes.cleared + outcomes.frozen).to.equal(8);
    expect(await checkLedgerInvariants(database.db)).to.deep.include({ negativeFloors: [], holdMismatches: [], unbalancedTransactions: [] });
  });
});
