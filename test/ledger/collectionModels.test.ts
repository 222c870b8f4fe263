// The two collection models against the real PostgreSQL server (docs/ledger.md, "Who holds the
// money"). Every expected figure is computed by hand in the test from the amounts and the fee
// rate, never by the ledger's functions: a 5% fee (500 bps) of 10,000 fen is 500 fen.
//
// The first two cases reproduce issue 14 item 3: a sale notified on the shop's own EPay gateway
// (whose key the merchant chose, so the merchant can sign any notification) credited the shop's
// payable, and a payout of it was accepted.
import { expect } from "chai";
import { AppError } from "../../core/errors.ts";
import { approvePayout, postOrderPayment, postOrderRefund, requestPayout } from "../../api/ledger/flows.ts";
import { expectLedgerInvariantsHold } from "../support/ledgerInvariants.ts";
import { assertFeeCreditAvailable, postTopup, settleFeeReceivable, settleFeeReceivables } from "../../api/ledger/merchantFees.ts";
import { ledgerTotalsByOrder } from "../../api/ledger/reconciliation.ts";
import { queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

/** A shop's balances by purpose, read straight from the accounts table (not the ledger's statements). */
async function shopBalances(database: TestDatabase, shopId: bigint): Promise<Record<string, bigint>> {
  const rows = await queryRows<{ purpose: string; balance_minor: string }>(
    database.db,
    sql`SELECT purpose, balance_minor::text FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${shopId} AND currency = 'CNY'`,
  );
  return Object.fromEntries(rows.map((row) => [row.purpose, BigInt(row.balance_minor)]));
}

async function platformBalance(database: TestDatabase, purpose: string): Promise<bigint> {
  const rows = await queryRows<{ balance_minor: string }>(
    database.db,
    sql`SELECT balance_minor::text FROM ledger_accounts WHERE owner_type = 'platform' AND purpose = ${purpose} AND currency = 'CNY'`,
  );
  return BigInt(rows[0]?.balance_minor ?? "0");
}

describe("ledger collection models (platform-collected, merchant-collected)", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
  });
  after(async () => {
    await database?.drop();
  });

  it("books a sale on the shop's own EPay gateway without a payable: the fee is a receivable, and a payout of it is refused", async () => {
    const shopId = 101n;
    await postOrderPayment(database.db, { orderId: "mc-1", shopId, amountMinor: 10_000n, currency: "CNY", provider: "epay", platformFeeBps: 500 });
    const balances = await shopBalances(database, shopId);
    // 10,000 fen collected by the merchant; 5% of it (500) owed to the platform; nothing payable.
    expect(balances.payable ?? 0n).to.equal(0n);
    expect(balances.fee_receivable).to.equal(-500n);
    expect(balances.collected).to.equal(10_000n);
    expect(await platformBalance(database, "fees")).to.equal(500n);
    expect(await platformBalance(database, "clearing_merchant")).to.equal(-10_000n);
    const payout = await rejection(
      requestPayout(database.db, { payoutId: "mc-p1", shopId, amountMinor: 1n, currency: "CNY", expiresAt: new Date(Date.now() + 60_000) }),
    );
    expect([payout.code, payout.status]).to.deep.equal(["insufficient_funds", 409]);
    // The ledger still says what the order received, for reconciliation with the payments table.
    const [totals] = await ledgerTotalsByOrder(database.db, ["mc-1"]);
    expect([totals!.paidMinor, totals!.feeMinor]).to.deep.equal([10_000n, 500n]);
    await expectLedgerInvariantsHold(database.db);
  });

  it("books a sale paid through the PaymentRouter as the shop's payable, which can be paid out", async () => {
    const shopId = 102n;
    await postOrderPayment(database.db, { orderId: "pc-1", shopId, amountMinor: 10_000n, currency: "CNY", provider: "chain", platformFeeBps: 500 });
    // 10,000 received by the platform: 500 fee, 9,500 owed to the shop.
    expect(await shopBalances(database, shopId)).to.deep.equal({ payable: 9_500n });
    const requested = await requestPayout(database.db, {
      payoutId: "pc-p1",
      shopId,
      amountMinor: 9_500n,
      currency: "CNY",
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect(requested.created).to.equal(true);
    await approvePayout(database.db, { payoutId: "pc-p1" });
    expect(await shopBalances(database, shopId)).to.deep.equal({ payable: 0n, holds: 0n });
    await expectLedgerInvariantsHold(database.db);
  });

  it("refunds a merchant-collected sale by undoing the memo and forgiving the fee's share, never from the platform's money", async () => {
    const shopId = 103n;
    await postOrderPayment(database.db, { orderId: "mc-r", shopId, amountMinor: 3_000n, currency: "CNY", provider: "epay", platformFeeBps: 500 });
    const refundsBefore = await platformBalance(database, "refunds");
    // A partial refund of 1,000 of 3,000: the fee share is floor(150 x 1000 / 3000) = 50.
    const refund = await postOrderRefund(database.db, { orderId: "mc-r", shopId, amountMinor: 1_000n, currency: "CNY", reason: "merchant", refundId: "a" });
    expect(refund.feeRefundMinor).to.equal(50n);
    expect(await shopBalances(database, shopId)).to.deep.equal({ collected: 2_000n, fee_receivable: -100n });
    expect(await platformBalance(database, "refunds")).to.equal(refundsBefore);
    // Reconciliation sees 3,000 received and 1,000 refunded, fee 150 - 50 = 100.
    const [totals] = await ledgerTotalsByOrder(database.db, ["mc-r"]);
    expect([totals!.paidMinor, totals!.refundedMinor, totals!.feeMinor]).to.deep.equal([3_000n, 1_000n, 100n]);
    const tooMuch = await rejection(
      postOrderRefund(database.db, { orderId: "mc-r", shopId, amountMinor: 2_001n, currency: "CNY", reason: "merchant", refundId: "b" }),
    );
    expect(tooMuch.code).to.equal("invalid_state");
    await expectLedgerInvariantsHold(database.db);
  });

  it("settles the fee receivable from top-ups the platform collected, as far as the prepaid balance goes", async () => {
    const shopId = 104n;
    await postOrderPayment(database.db, { orderId: "mc-t1", shopId, amountMinor: 10_000n, currency: "CNY", provider: "epay", platformFeeBps: 500 });
    // Owes 500. A top-up of 300 settles 300: 200 still owed, nothing prepaid left.
    await postTopup(database.db, { topupId: "TU-a", shopId, amountMinor: 300n, currency: "CNY", provider: "platform_epay" });
    expect((await settleFeeReceivable(database.db, { shopId, currency: "CNY" })).settledMinor).to.equal(300n);
    expect(await shopBalances(database, shopId)).to.deep.equal({ collected: 10_000n, fee_receivable: -200n, prepaid: 0n });
    // A top-up of 1,000 through the PaymentRouter settles the remaining 200 and leaves 800 prepaid.
    await postTopup(database.db, { topupId: "TU-b", shopId, amountMinor: 1_000n, currency: "CNY", provider: "chain" });
    expect((await settleFeeReceivable(database.db, { shopId, currency: "CNY" })).settledMinor).to.equal(200n);
    expect(await shopBalances(database, shopId)).to.deep.equal({ collected: 10_000n, fee_receivable: 0n, prepaid: 800n });
    // A later sale of 4,000 owes 200, drawn from the prepaid 800 by the sweep: 600 left.
    await postOrderPayment(database.db, { orderId: "mc-t2", shopId, amountMinor: 4_000n, currency: "CNY", provider: "epay", platformFeeBps: 500 });
    expect(await settleFeeReceivables(database.db, { limit: 100 })).to.be.at.least(1);
    expect(await shopBalances(database, shopId)).to.deep.equal({ collected: 14_000n, fee_receivable: 0n, prepaid: 600n });
    // Nothing owed: a settlement settles nothing and posts nothing.
    expect((await settleFeeReceivable(database.db, { shopId, currency: "CNY" })).settledMinor).to.equal(0n);
    // Prepaid money is the platform's debt to the merchant, not a payable: no payout of it.
    const payout = await rejection(
      requestPayout(database.db, { payoutId: "mc-p4", shopId, amountMinor: 600n, currency: "CNY", expiresAt: new Date(Date.now() + 60_000) }),
    );
    expect(payout.code).to.equal("insufficient_funds");
    await expectLedgerInvariantsHold(database.db);
  });

  it("settles each fee once when settlements race", async () => {
    const shopId = 105n;
    await postOrderPayment(database.db, { orderId: "mc-race", shopId, amountMinor: 20_000n, currency: "CNY", provider: "epay", platformFeeBps: 500 });
    await postTopup(database.db, { topupId: "TU-race", shopId, amountMinor: 5_000n, currency: "CNY", provider: "platform_epay" });
    const settled = await Promise.all(Array.from({ length: 6 }, () => settleFeeReceivable(database.db, { shopId, currency: "CNY" })));
    // Owed 1,000 (5% of 20,000), prepaid 5,000: exactly 1,000 settled in all, 4,000 left.
    expect(settled.reduce((sum, result) => sum + result.settledMinor, 0n)).to.equal(1_000n);
    expect(await shopBalances(database, shopId)).to.deep.equal({ collected: 20_000n, fee_receivable: 0n, prepaid: 4_000n });
    await expectLedgerInvariantsHold(database.db);
  });

  it("stops sales on the shop's own gateway when unpaid fees exceed the prepaid balance beyond the credit", async () => {
    const shopId = 106n;
    const check = () => assertFeeCreditAvailable(database.db, { shopId, currency: "CNY", creditLimitMinor: 1_000n });
    await check();
    // 20,000 sold: 1,000 owed, exactly the credit: still allowed.
    await postOrderPayment(database.db, { orderId: "mc-l1", shopId, amountMinor: 20_000n, currency: "CNY", provider: "epay", platformFeeBps: 500 });
    await check();
    // One more fen of fee (a sale of 20) takes it past the credit: refused.
    await postOrderPayment(database.db, { orderId: "mc-l2", shopId, amountMinor: 20n, currency: "CNY", provider: "epay", platformFeeBps: 500 });
    const refused = await rejection(check());
    expect([refused.code, refused.status]).to.deep.equal(["fee_balance_exhausted", 409]);
    expect(refused.message).not.to.match(/receivable|ledger|account/);
    // Another currency's fees do not count against CNY.
    await assertFeeCreditAvailable(database.db, { shopId, currency: "USDK", creditLimitMinor: 0n });
    // A top-up of 1 (not yet settled) brings unpaid minus prepaid back to 1,000: allowed again.
    await postTopup(database.db, { topupId: "TU-l", shopId, amountMinor: 1n, currency: "CNY", provider: "platform_epay" });
    await check();
    await settleFeeReceivable(database.db, { shopId, currency: "CNY" });
    await check();
    expect(await shopBalances(database, shopId)).to.deep.equal({ collected: 20_020n, fee_receivable: -1_000n, prepaid: 0n });
  });

  it("runs the worked example of docs/ledger.md to the figures written there", async () => {
    const shopId = 7_007n;
    const expiresAt = new Date(Date.now() + 60_000);
    const sell = (orderId: string, amountMinor: bigint, provider: "epay" | "chain") =>
      postOrderPayment(database.db, { orderId, shopId, amountMinor, currency: "CNY", provider, platformFeeBps: 500 });
    const creditCheck = () => assertFeeCreditAvailable(database.db, { shopId, currency: "CNY", creditLimitMinor: 10_000n });
    const before = { fees: await platformBalance(database, "fees"), payouts: await platformBalance(database, "payouts") };
    await sell("we-A", 10_000n, "chain");
    await sell("we-B", 4_000n, "epay");
    expect(await shopBalances(database, shopId)).to.deep.equal({ payable: 9_500n, collected: 4_000n, fee_receivable: -200n });
    expect((await rejection(requestPayout(database.db, { payoutId: "we-p0", shopId, amountMinor: 13_500n, currency: "CNY", expiresAt }))).code).to.equal(
      "insufficient_funds",
    );
    await requestPayout(database.db, { payoutId: "we-p1", shopId, amountMinor: 9_500n, currency: "CNY", expiresAt });
    await approvePayout(database.db, { payoutId: "we-p1" });
    await postTopup(database.db, { topupId: "TU-we-1", shopId, amountMinor: 150n, currency: "CNY", provider: "platform_epay" });
    await settleFeeReceivable(database.db, { shopId, currency: "CNY" });
    expect(await shopBalances(database, shopId)).to.deep.include({ payable: 0n, fee_receivable: -50n, prepaid: 0n });
    for (let k = 1; k <= 50; k++) {
      await creditCheck();
      await sell(`we-s${k}`, 4_000n, "epay");
    }
    expect((await shopBalances(database, shopId)).fee_receivable).to.equal(-10_050n);
    expect((await rejection(creditCheck())).code).to.equal("fee_balance_exhausted");
    await postTopup(database.db, { topupId: "TU-we-2", shopId, amountMinor: 1_000n, currency: "CNY", provider: "platform_epay" });
    await settleFeeReceivable(database.db, { shopId, currency: "CNY" });
    await creditCheck();
    expect(await shopBalances(database, shopId)).to.deep.equal({ payable: 0n, holds: 0n, collected: 204_000n, fee_receivable: -9_050n, prepaid: 0n });
    expect((await platformBalance(database, "fees")) - before.fees).to.equal(10_700n);
    expect((await platformBalance(database, "payouts")) - before.payouts).to.equal(9_500n);
    await expectLedgerInvariantsHold(database.db);
  });
});
