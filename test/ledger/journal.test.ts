// The journal and the money flows against the real PostgreSQL server: idempotency, conflicts,
// bad input writing nothing, append-only rows, atomicity inside a caller's transaction,
// limits, two-phase payouts, resale holds, reconciliation and statements; and the same on
// embedded PGlite.
import { expect } from "chai";
import { loadConfig } from "../../core/config.ts";
import { AppError } from "../../core/errors.ts";
import { startLedgerBackground } from "../../api/ledger/background.ts";
import { createJournalBatcher } from "../../api/ledger/batcher.ts";
import { approvePayout, chargebackResale, postOrderPayment, postOrderRefund, postResale, rejectPayout, requestPayout } from "../../api/ledger/flows.ts";
import { auditJournal } from "../../api/ledger/auditJournal.ts";
import { hashPendingEntries } from "../../api/ledger/hasher.ts";
import { expireHolds } from "../../api/ledger/holds.ts";
import { exportJournal } from "../../api/ledger/journalExport.ts";
import { expectLedgerInvariantsHold } from "../support/ledgerInvariants.ts";
import { postJournal } from "../../api/ledger/postJournal.ts";
import { ledgerTotalsByOrder, reconcileChainPayments } from "../../api/ledger/reconciliation.ts";
import { getAccountHistory, getShopBalance, getShopStatement, getTrialBalance, listPendingHolds } from "../../api/ledger/statements.ts";
import type { JournalInput } from "../../api/ledger/types.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

async function errorText(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const cause = (error as { cause?: Error }).cause;
    return `${(error as Error).message} ${cause?.message ?? ""}`;
  }
  return "";
}

const transfer = (key: string, amount: bigint, shopId = 1n): JournalInput => ({
  idempotencyKey: key,
  kind: "transfer",
  reference: { type: "adjustment", id: key },
  postings: [
    { account: { ownerType: "platform", ownerId: 0n, purpose: "adjustments" }, amountMinor: -amount, currency: "CNY" },
    { account: { ownerType: "shop", ownerId: shopId, purpose: "payable" }, amountMinor: amount, currency: "CNY" },
  ],
});

async function count(database: TestDatabase, table: "ledger_transactions" | "ledger_postings" | "ledger_holds"): Promise<bigint> {
  const row = await queryOne<{ n: bigint }>(database.db, sql`SELECT count(*) AS n FROM ${sql.raw(table)}`);
  return row!.n;
}

describe("ledger journal and flows (PostgreSQL server)", () => {
  let database: TestDatabase;
  before(async () => {
    database = await createServerDatabase();
  });
  after(async () => {
    await database.drop();
  });
  afterEach(async () => {
    await expectLedgerInvariantsHold(database.db);
  });

  it("posts once per idempotency key: a retry returns the original, another payload is a conflict", async () => {
    const first = await postJournal(database.db, transfer("t:1", 500n));
    const retry = await postJournal(database.db, transfer("t:1", 500n));
    expect(first.created).to.equal(true);
    expect(retry).to.deep.equal({ transactionId: first.transactionId, created: false });
    const conflict = await rejection(postJournal(database.db, transfer("t:1", 501n)));
    expect(conflict.code).to.equal("idempotency_conflict");
    expect(conflict.message).to.contain("t:1");
    const rows = await queryRows<{ id: bigint }>(database.db, sql`SELECT id FROM ledger_transactions WHERE idempotency_key = 't:1'`);
    expect(rows).to.have.length(1);
  });

  it("answers concurrent posts of one key with other accounts as created + conflict, never a raw error", async () => {
    // No account lock orders these two (different shops). The first stays uncommitted inside
    // its caller's transaction, so the second passes the key lookup and waits on the unique
    // index; when the first commits, the second must answer idempotency_conflict
    // (regression: it failed with a raw unique violation).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let posted!: () => void;
    const firstPosted = new Promise<void>((resolve) => (posted = resolve));
    const ownAccounts = (shopId: bigint): JournalInput => ({
      ...transfer("race:1", 5n, shopId),
      postings: [
        { account: { ownerType: "shop", ownerId: shopId, purpose: "adjustments" }, amountMinor: -5n, currency: "CNY" },
        { account: { ownerType: "shop", ownerId: shopId, purpose: "payable" }, amountMinor: 5n, currency: "CNY" },
      ],
    });
    const first = database.db.transaction(async (tx) => {
      const result = await postJournal(tx, ownAccounts(600n));
      posted();
      await gate;
      return result;
    });
    await firstPosted;
    const second = postJournal(database.db, ownAccounts(601n)).then(
      (result) => (result.created ? "created" : "exists"),
      (error: unknown) => (error instanceof AppError ? error.code : `raw: ${(error as Error).message}`),
    );
    for (let waited = 0; waited < 5_000; waited += 20) {
      const waiting = await queryOne<{ n: bigint }>(
        database.db,
        sql`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (waiting!.n > 0n) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    release();
    expect((await first).created).to.equal(true);
    expect(await second).to.equal("idempotency_conflict");
  });

  it("refuses bad input with a clear validation error and writes nothing", async () => {
    const before = [await count(database, "ledger_transactions"), await count(database, "ledger_postings")];
    const unbalanced = transfer("bad:1", 10n);
    unbalanced.postings[1]!.amountMinor = 9n;
    const cases: JournalInput[] = [
      unbalanced,
      { ...transfer("bad:2", 10n), idempotencyKey: "" },
      { ...transfer("bad:3", 10n), postings: [transfer("bad:3", 10n).postings[0]!] },
      { ...transfer("bad:4", 10n), postings: transfer("bad:4", 10n).postings.map((p) => ({ ...p, currency: "cny" })) },
      { ...transfer("bad:5", 10n), postings: transfer("bad:5", 10n).postings.map((p) => ({ ...p, amountMinor: 0n })) },
      { ...transfer("bad:6", 10n), postings: [...transfer("bad:6", 10n).postings, ...transfer("bad:6", 10n).postings] },
    ];
    for (const input of cases) {
      const error = await rejection(postJournal(database.db, input));
      expect(error.code, input.idempotencyKey).to.equal("validation_failed");
    }
    // A currency that does not match the account's is refused by the database function.
    await postJournal(database.db, transfer("cur:1", 10n, 77n));
    const account = await queryOne<{ id: bigint }>(database.db, sql`SELECT id FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = 77`);
    const wrongCurrency = await rejection(
      postJournal(database.db, {
        idempotencyKey: "cur:2",
        kind: "transfer",
        reference: { type: "adjustment", id: "cur:2" },
        postings: [
          { account: account!.id, amountMinor: 5n, currency: "USD" },
          { account: { ownerType: "platform", ownerId: 0n, purpose: "adjustments" }, amountMinor: -5n, currency: "USD" },
        ],
      }),
    );
    expect(wrongCurrency.code).to.equal("validation_failed");
    expect(wrongCurrency.message).to.match(/does not match account/);
    expect([await count(database, "ledger_transactions"), await count(database, "ledger_postings")]).to.deep.equal([before[0]! + 1n, before[1]! + 2n]);
  });

  it("rejects UPDATE and DELETE on journal, posting and chain rows", async () => {
    await postJournal(database.db, transfer("imm:1", 5n));
    expect(await errorText(database.db.execute(sql`UPDATE ledger_transactions SET kind = 'other' WHERE idempotency_key = 'imm:1'`))).to.match(/append-only/);
    expect(await errorText(database.db.execute(sql`DELETE FROM ledger_transactions WHERE idempotency_key = 'imm:1'`))).to.match(/append-only/);
    expect(await errorText(database.db.execute(sql`UPDATE ledger_postings SET amount_minor = amount_minor * 2`))).to.match(/append-only/);
    expect(await errorText(database.db.execute(sql`DELETE FROM ledger_postings`))).to.match(/append-only/);
    expect(await errorText(database.db.execute(sql`TRUNCATE ledger_postings CASCADE`))).to.match(/append-only/);
    // And a raw insert of unbalanced postings is refused by the database itself.
    const tx = await queryOne<{ id: bigint }>(database.db, sql`SELECT id FROM ledger_transactions WHERE idempotency_key = 'imm:1'`);
    const account = await queryOne<{ id: bigint }>(
      database.db,
      sql`INSERT INTO ledger_accounts (owner_type, owner_id, purpose, currency) VALUES ('shop', 999, 'payable', 'CNY') RETURNING id`,
    );
    expect(
      await errorText(
        database.db.execute(sql`INSERT INTO ledger_postings (tx_id, account_id, amount_minor, currency) VALUES (${tx!.id}, ${account!.id}, 1, 'CNY')`),
      ),
    ).to.match(/does not balance/);
  });

  it("commits or rolls back with the caller's transaction", async () => {
    const failed = await errorText(
      database.db.transaction(async (tx) => {
        await postJournal(tx, transfer("atomic:1", 40n));
        throw new Error("the caller's next step failed");
      }),
    );
    expect(failed).to.contain("next step failed");
    expect(await queryOne(database.db, sql`SELECT id FROM ledger_transactions WHERE idempotency_key = 'atomic:1'`)).to.equal(undefined);
    const posted = await database.db.transaction(async (tx) => postJournal(tx, transfer("atomic:1", 40n)));
    expect(posted.created).to.equal(true);
  });

  it("splits an order payment into fee and payable, refunds in proportion, and never refunds twice", async () => {
    const payment = { orderId: "o-100", shopId: 10n, amountMinor: 10_000n, currency: "CNY", provider: "chain" as const, platformFeeBps: 500 };
    const paid = await postOrderPayment(database.db, payment);
    expect([paid.feeMinor, paid.shopMinor, paid.created]).to.deep.equal([500n, 9_500n, true]);
    expect((await postOrderPayment(database.db, payment)).created).to.equal(false);
    expect(await getShopBalance(database.db, { shopId: 10n })).to.deep.equal([{ currency: "CNY", availableMinor: 9_500n, heldMinor: 0n }]);
    const refund = await postOrderRefund(database.db, {
      orderId: "o-100",
      shopId: 10n,
      amountMinor: 4_000n,
      currency: "CNY",
      reason: "dispute",
      refundId: "r1",
    });
    expect([refund.feeRefundMinor, refund.shopRefundMinor]).to.deep.equal([200n, 3_800n]);
    const retried = await postOrderRefund(database.db, {
      orderId: "o-100",
      shopId: 10n,
      amountMinor: 4_000n,
      currency: "CNY",
      reason: "dispute",
      refundId: "r1",
    });
    expect(retried).to.deep.include({ created: false, transactionId: refund.transactionId });
    const tooMuch = await rejection(
      postOrderRefund(database.db, { orderId: "o-100", shopId: 10n, amountMinor: 6_001n, currency: "CNY", reason: "dispute", refundId: "r2" }),
    );
    expect(tooMuch.code).to.equal("invalid_state");
    const unpaid = await rejection(postOrderRefund(database.db, { orderId: "o-none", shopId: 10n, amountMinor: 1n, currency: "CNY", reason: "expired" }));
    expect(unpaid.code).to.equal("invalid_state");
    const [totals] = await ledgerTotalsByOrder(database.db, ["o-100"]);
    expect(totals).to.deep.include({ paidMinor: 10_000n, refundedMinor: 4_000n, feeMinor: 300n, currency: "CNY" });
  });

  it("holds a payout until approval, rejection or expiry, exactly once, and never lets the payable go negative", async () => {
    await postOrderPayment(database.db, { orderId: "o-200", shopId: 20n, amountMinor: 1_000n, currency: "CNY", provider: "chain", platformFeeBps: 0 });
    const expiresAt = new Date(Date.now() + 3_600_000);
    const tooBig = await rejection(requestPayout(database.db, { payoutId: "p-0", shopId: 20n, amountMinor: 1_001n, currency: "CNY", expiresAt }));
    expect(tooBig.code).to.equal("insufficient_funds");
    const first = await requestPayout(database.db, { payoutId: "p-1", shopId: 20n, amountMinor: 600n, currency: "CNY", expiresAt });
    expect((await requestPayout(database.db, { payoutId: "p-1", shopId: 20n, amountMinor: 600n, currency: "CNY", expiresAt })).holdId).to.equal(first.holdId);
    // The held 600 is no longer available: a second request for 500 is refused.
    expect((await rejection(requestPayout(database.db, { payoutId: "p-2", shopId: 20n, amountMinor: 500n, currency: "CNY", expiresAt }))).code).to.equal(
      "insufficient_funds",
    );
    expect(await getShopBalance(database.db, { shopId: 20n })).to.deep.equal([{ currency: "CNY", availableMinor: 400n, heldMinor: 600n }]);
    expect((await listPendingHolds(database.db, { ownerType: "shop", ownerId: 20n })).map((hold) => hold.referenceId)).to.deep.equal(["p-1"]);
    const approved = await approvePayout(database.db, { payoutId: "p-1" });
    expect(approved).to.deep.include({ state: "posted", created: true });
    expect(await approvePayout(database.db, { payoutId: "p-1" })).to.deep.include({ state: "posted", created: false, transactionId: approved.transactionId });
    expect((await rejection(rejectPayout(database.db, { payoutId: "p-1" }))).code).to.equal("invalid_state");

    const second = await requestPayout(database.db, { payoutId: "p-3", shopId: 20n, amountMinor: 100n, currency: "CNY", expiresAt });
    expect(await rejectPayout(database.db, { payoutId: "p-3" })).to.deep.include({ state: "voided", holdId: second.holdId });
    const shortLived = new Date(Date.now() + 60_000);
    await requestPayout(database.db, { payoutId: "p-4", shopId: 20n, amountMinor: 300n, currency: "CNY", expiresAt: shortLived });
    const later = new Date(shortLived.getTime() + 1_000);
    expect((await rejection(approvePayout(database.db, { payoutId: "p-4", now: later }))).message).to.match(/expired/);
    const expired = await expireHolds(database.db, { now: later, limit: 10 });
    expect(expired.map((hold) => hold.state)).to.deep.equal(["expired"]);
    expect(await expireHolds(database.db, { now: later, limit: 10 })).to.deep.equal([]);
    expect(await getShopBalance(database.db, { shopId: 20n })).to.deep.equal([{ currency: "CNY", availableMinor: 400n, heldMinor: 0n }]);
    const statement = await getShopStatement(database.db, { shopId: 20n, currency: "CNY", limit: 3 });
    expect(statement.lines).to.have.length(3);
    expect(statement.lines[0]!.balanceAfterMinor).to.equal(400n);
    const next = await getAccountHistory(database.db, { accountId: statement.accountId, cursor: statement.nextCursor!, limit: 50 });
    expect(next.lines.at(-1)!.balanceAfterMinor).to.equal(next.lines.at(-1)!.amountMinor);
    // Every line's balance is the next newer line's balance before that line, across pages of two.
    const lines: typeof statement.lines = [];
    for (let cursor: string | undefined; ; ) {
      const page = await getAccountHistory(database.db, { accountId: statement.accountId, cursor, limit: 2 });
      lines.push(...page.lines);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(lines.length).to.be.at.least(4);
    expect(lines[0]!.balanceAfterMinor).to.equal(400n);
    lines.slice(1).forEach((line, index) => {
      expect(line.balanceAfterMinor, `line ${index + 1}`).to.equal(lines[index]!.balanceAfterMinor - lines[index]!.amountMinor);
    });
    expect(lines.at(-1)!.balanceAfterMinor).to.equal(lines.at(-1)!.amountMinor);
  });

  it("splits a resale into fee, royalty and held proceeds, released at the window's end or returned on chargeback", async () => {
    const holdUntil = new Date(Date.now() + 60_000);
    const sale = await postResale(database.db, {
      listingId: "l-1",
      sellerAccountId: 5n,
      buyerAccountId: 6n,
      shopId: 30n,
      priceMinor: 10_000n,
      currency: "CNY",
      royaltyBps: 1_000,
      platformFeeBps: 250,
      holdUntil,
    });
    expect([sale.feeMinor, sale.royaltyMinor, sale.proceedsMinor]).to.deep.equal([250n, 1_000n, 8_750n]);
    expect(sale.holdId).to.be.a("bigint");
    await postResale(database.db, {
      listingId: "l-2",
      sellerAccountId: 5n,
      buyerAccountId: 7n,
      shopId: 30n,
      priceMinor: 2_000n,
      currency: "CNY",
      royaltyBps: 0,
      platformFeeBps: 0,
      holdUntil,
    });
    expect(await chargebackResale(database.db, { listingId: "l-2" })).to.deep.include({ state: "voided" });
    const released = await expireHolds(database.db, { now: new Date(holdUntil.getTime() + 1), limit: 10 });
    expect(released.map((hold) => hold.holdId)).to.deep.equal([sale.holdId]);
    const proceeds = await queryOne<{ balance_minor: bigint }>(
      database.db,
      sql`SELECT balance_minor FROM ledger_accounts WHERE owner_type = 'reseller' AND owner_id = 5 AND purpose = 'proceeds'`,
    );
    expect(proceeds!.balance_minor).to.equal(8_750n);
    const trial = await getTrialBalance(database.db);
    expect(trial.every((currency) => currency.balanced)).to.equal(true);
  });

  it("reconciles on-chain payments in the ledger with the indexer's final payment events", async () => {
    await reconcilesChainPayments(database);
  });

  it("chains new entries in the background and stops cleanly", async () => {
    const settings = loadConfig({}).ledger;
    const errors: unknown[] = [];
    const background = startLedgerBackground({ db: database.db, settings: { ...settings, hashIdleIntervalMs: 20 }, onError: (error) => errors.push(error) });
    try {
      await postJournal(database.db, transfer("bg:1", 11n));
      let unhashed = 1n;
      for (let waited = 0; waited < 5_000 && unhashed > 0n; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        unhashed = (await queryOne<{ n: bigint }>(database.db, sql`SELECT count(*) AS n FROM ledger_unhashed`))!.n;
      }
      expect(unhashed).to.equal(0n);
      const chained = await queryOne<{ seq: bigint }>(
        database.db,
        sql`SELECT c.seq FROM ledger_chain c JOIN ledger_transactions t ON t.id = c.tx_id WHERE t.idempotency_key = 'bg:1'`,
      );
      expect(chained?.seq).to.be.a("bigint");
    } finally {
      await background.stop();
    }
    expect(errors).to.deep.equal([]);
  });

  it("batches concurrent posts into few database transactions with one answer each", async () => {
    const batcher = createJournalBatcher(database.db, { batchSizeMax: 50, flushesInFlightMax: 1, batchWaitMs: 0, queueLengthMax: 1000 });
    const inputs = Array.from({ length: 120 }, (_, i) => transfer(`batch:${i % 100}`, 7n, 40n + BigInt((i % 100) % 3)));
    inputs.push({ ...transfer("batch:5", 8n) });
    const results = await Promise.all(inputs.map((input) => batcher.submit(input)));
    expect(results.filter((result) => result.status === "created")).to.have.length(100);
    expect(results.filter((result) => result.status === "exists")).to.have.length(20);
    expect(results.at(-1)!.status).to.equal("conflict");
    expect(batcher.stats().batches).to.be.lessThan(10);
  });

  it("lets an entry wait for company (waitMs) and sends it at once when a more impatient one arrives", async () => {
    const batcher = createJournalBatcher(database.db, { batchSizeMax: 50, flushesInFlightMax: 1, batchWaitMs: 0, queueLengthMax: 1000 });
    // Posts spread over 60 ms, each willing to wait 200 ms: they leave together, in one batch.
    const patient: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      patient.push(batcher.post(transfer(`wait:${i}`, 3n), { waitMs: 200 }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(batcher.stats().batches).to.equal(0);
    await Promise.all(patient);
    expect(batcher.stats()).to.include({ batches: 1, entries: 4 });
    // A patient entry followed by one with the default wait (0): both leave now, not in 10 s.
    const started = Date.now();
    await Promise.all([batcher.post(transfer("wait:slow", 3n), { waitMs: 10_000 }), batcher.post(transfer("wait:fast", 3n))]);
    expect(Date.now() - started).to.be.lessThan(5_000);
    expect(batcher.stats()).to.include({ batches: 2, entries: 6 });
  });
});

describe("ledger on embedded PGlite (the default store of npm start)", () => {
  let database: TestDatabase;
  before(async () => {
    database = await createPgliteDatabase();
  });
  after(async () => {
    await database.drop();
  });

  it("posts, holds, chains and audits the same way", async () => {
    await postOrderPayment(database.db, { orderId: "pg-1", shopId: 1n, amountMinor: 1_000n, currency: "CNY", provider: "chain", platformFeeBps: 500 });
    expect(
      (await postOrderPayment(database.db, { orderId: "pg-1", shopId: 1n, amountMinor: 1_000n, currency: "CNY", provider: "chain", platformFeeBps: 500 }))
        .created,
    ).to.equal(false);
    await requestPayout(database.db, { payoutId: "pg-p", shopId: 1n, amountMinor: 900n, currency: "CNY", expiresAt: new Date(Date.now() + 60_000) });
    expect(
      (
        await rejection(
          requestPayout(database.db, { payoutId: "pg-q", shopId: 1n, amountMinor: 100n, currency: "CNY", expiresAt: new Date(Date.now() + 60_000) }),
        )
      ).code,
    ).to.equal("insufficient_funds");
    expect(await approvePayout(database.db, { payoutId: "pg-p" })).to.deep.include({ state: "posted" });
    const batcher = createJournalBatcher(database.db, { batchSizeMax: 10, flushesInFlightMax: 1, batchWaitMs: 0, queueLengthMax: 100 });
    await Promise.all(Array.from({ length: 25 }, (_, i) => batcher.post(transfer(`pg-t-${i}`, 3n))));
    expect((await hashPendingEntries(database.db, { batchSizeMax: 100 })).hashed).to.equal(28);
    expect(auditJournal(await exportJournal(database.db), []).ok).to.equal(true);
    await expectLedgerInvariantsHold(database.db);
  });

  it("reconciles on-chain payments the same way", async () => {
    await reconcilesChainPayments(database);
  });
});

/** Ledger against the indexer's final chain payments: one mismatch and one unknown payment. */
async function reconcilesChainPayments(database: TestDatabase): Promise<void> {
  await postOrderPayment(database.db, { orderId: "c-1", shopId: 50n, amountMinor: 700n, currency: "USDK", provider: "chain", platformFeeBps: 100 });
  await postOrderPayment(database.db, { orderId: "c-2", shopId: 50n, amountMinor: 300n, currency: "USDK", provider: "chain", platformFeeBps: 100 });
  const events = [
    { log: 0, order: "c-1", amount: 700, outcome: "accepted" },
    { log: 1, order: "c-2", amount: 350, outcome: "accepted" },
    { log: 2, order: null, amount: 99, outcome: "unknown_order" },
  ];
  for (const event of events) {
    await database.db.execute(sql`
      INSERT INTO chain_payments (chain_id, block_number, log_index, transaction_hash, order_ref, order_id, payer, token, amount)
      VALUES (31337, 10, ${event.log}, ${`0x${"ab".repeat(32)}`}, ${`0x${"00".repeat(32)}`}, ${event.order}, ${`0x${"11".repeat(20)}`}, ${`0x${"22".repeat(20)}`}, ${event.amount})`);
    await database.db.execute(sql`
      INSERT INTO chain_payment_outcomes (chain_id, block_number, log_index, provider_ref, order_id, outcome)
      VALUES (31337, 10, ${event.log}, ${`31337:tx:${event.log}`}, ${event.order}, ${event.outcome})`);
  }
  const findings = await reconcileChainPayments(database.db, { chainId: 31337 });
  expect(findings.map((finding) => [finding.problem, finding.orderId, finding.ledgerMinor, finding.chainMinor])).to.deep.equal([
    ["chain_amount_mismatch", "c-2", 300n, 350n],
    ["chain_payment_not_in_ledger", null, 0n, 99n],
  ]);
}
