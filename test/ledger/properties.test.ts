// Property-based: random sequences of ledger operations (payments, retries with the same key,
// conflicting retries, refunds, payout requests, approvals, rejections, expiry, and bursts of
// concurrent writers through the batcher and the direct path) against the real PostgreSQL
// server. After every step: every transaction balances, postings sum to zero per currency,
// balances equal the sum of postings, no key was applied twice, no payable is negative, every
// hold ended at most once, and the shops' payables and holds equal a model of the operations.
// Seeded and bounded by default; KEYLEDGER_TEST_THOROUGH=1 runs more and longer sequences.
import { expect } from "chai";
import fc from "fast-check";
import { AppError } from "../../core/errors.ts";
import { createJournalBatcher, type JournalBatcher } from "../../api/ledger/batcher.ts";
import { approvePayout, postOrderPayment, postOrderRefund, rejectPayout, requestPayout } from "../../api/ledger/flows.ts";
import { expireHolds } from "../../api/ledger/holds.ts";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import { postJournal } from "../../api/ledger/postJournal.ts";
import { queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { testEnv } from "../support/env.ts";

const shopsPerRun = 3;
const ordersPerRun = 6;
const payoutsPerRun = 5;
const base = new Date("2030-01-01T00:00:00Z");
const shortExpiry = new Date(base.getTime() + 10 * 60_000);
const longExpiry = new Date(base.getTime() + 30 * 24 * 3600_000);
const afterShortExpiry = new Date(base.getTime() + 20 * 60_000);

type Pay = { t: "pay"; order: number; shop: number; amount: number; provider: "epay" | "chain"; feeBps: number };
type Refund = { t: "refund"; order: number; amount: number; refundId: number };
type Payout = { t: "payout"; payout: number; shop: number; amount: number; short: boolean };
type Resolve = { t: "approve" | "reject"; payout: number };
type Credit = { t: "credit"; shop: number; amount: number; key: number };
type Command = Pay | Refund | Payout | Resolve | Credit | { t: "expire" } | { t: "burst"; ops: (Pay | Payout | Credit)[] };

const shop = fc.integer({ min: 0, max: shopsPerRun - 1 });
const amount = fc.integer({ min: 1, max: 5_000 });
const pay = fc.record({
  t: fc.constant("pay" as const),
  order: fc.integer({ min: 0, max: ordersPerRun - 1 }),
  shop,
  amount,
  provider: fc.constantFrom("epay" as const, "chain" as const),
  feeBps: fc.constantFrom(0, 250, 500),
});
const payout = fc.record({ t: fc.constant("payout" as const), payout: fc.integer({ min: 0, max: payoutsPerRun - 1 }), shop, amount, short: fc.boolean() });
const credit = fc.record({ t: fc.constant("credit" as const), shop, amount, key: fc.integer({ min: 0, max: 3 }) });
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: pay, weight: 4 },
  {
    arbitrary: fc.record({
      t: fc.constant("refund" as const),
      order: fc.integer({ min: 0, max: ordersPerRun - 1 }),
      amount,
      refundId: fc.integer({ min: 0, max: 1 }),
    }),
    weight: 2,
  },
  { arbitrary: payout, weight: 3 },
  { arbitrary: fc.record({ t: fc.constantFrom("approve" as const, "reject" as const), payout: fc.integer({ min: 0, max: payoutsPerRun - 1 }) }), weight: 2 },
  { arbitrary: fc.constant({ t: "expire" as const }), weight: 1 },
  { arbitrary: credit, weight: 1 },
  { arbitrary: fc.record({ t: fc.constant("burst" as const), ops: fc.array(fc.oneof(pay, payout, credit), { minLength: 2, maxLength: 8 }) }), weight: 2 },
);

type Model = {
  run: number;
  payable: bigint[];
  held: bigint[];
  payments: Map<number, Pay & { fee: bigint }>;
  refunds: Map<string, bigint>;
  refunded: Map<number, bigint>;
  payouts: Map<number, Payout & { state: "pending" | "posted" | "voided" | "expired" }>;
  credits: Map<number, Credit>;
};

type Outcome = "created" | "exists" | AppError["code"];

async function outcomeOf(promise: Promise<{ created: boolean }>): Promise<Outcome> {
  try {
    return (await promise).created ? "created" : "exists";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

function shopId(model: Model, index: number): bigint {
  return BigInt(model.run * 100 + index + 1);
}

function payParameters(model: Model, op: Pay) {
  return {
    orderId: `r${model.run}-o${op.order}`,
    shopId: shopId(model, op.shop),
    amountMinor: BigInt(op.amount),
    currency: "CNY",
    provider: op.provider,
    platformFeeBps: op.feeBps,
  };
}

function creditInput(model: Model, op: Credit) {
  return {
    idempotencyKey: `r${model.run}-credit-${op.key}`,
    kind: "transfer",
    reference: { type: "adjustment" as const, id: `r${model.run}-${op.key}` },
    postings: [
      { account: { ownerType: "platform" as const, ownerId: 0n, purpose: "adjustments" as const }, amountMinor: -BigInt(op.amount), currency: "CNY" },
      {
        account: { ownerType: "shop" as const, ownerId: shopId(model, op.shop), purpose: "payable" as const },
        amountMinor: BigInt(op.amount),
        currency: "CNY",
      },
    ],
  };
}

function samePay(a: Pay, b: Pay): boolean {
  return a.shop === b.shop && a.amount === b.amount && a.provider === b.provider && a.feeBps === b.feeBps;
}

/** Applies the effect of an operation the ledger accepted (created) to the model. */
function applyCreated(model: Model, op: Pay | Payout | Credit): void {
  if (op.t === "pay") {
    const fee = (BigInt(op.amount) * BigInt(op.feeBps)) / 10_000n;
    model.payments.set(op.order, { ...op, fee });
    // Only platform-collected money (the PaymentRouter) is owed to the shop; a sale on the
    // shop's own EPay gateway was paid to the merchant and makes no payable.
    if (op.provider === "chain") model.payable[op.shop]! += BigInt(op.amount) - fee;
  } else if (op.t === "payout") {
    model.payouts.set(op.payout, { ...op, state: "pending" });
    model.payable[op.shop]! -= BigInt(op.amount);
    model.held[op.shop]! += BigInt(op.amount);
  } else {
    model.credits.set(op.key, op);
    model.payable[op.shop]! += BigInt(op.amount);
  }
}

/** What the model says a sequential operation must answer. */
function expectedOutcome(model: Model, op: Pay | Payout | Credit): Outcome {
  if (op.t === "pay") {
    const previous = model.payments.get(op.order);
    if (previous) return samePay(previous, op) ? "exists" : "idempotency_conflict";
    return "created";
  }
  if (op.t === "payout") {
    const previous = model.payouts.get(op.payout);
    if (previous) return previous.shop === op.shop && previous.amount === op.amount && previous.short === op.short ? "exists" : "idempotency_conflict";
    return model.payable[op.shop]! >= BigInt(op.amount) ? "created" : "insufficient_funds";
  }
  const previous = model.credits.get(op.key);
  if (previous) return previous.shop === op.shop && previous.amount === op.amount ? "exists" : "idempotency_conflict";
  return "created";
}

async function runSimple(database: TestDatabase, batcher: JournalBatcher, model: Model, op: Pay | Payout | Credit, viaBatcher: boolean): Promise<Outcome> {
  if (op.t === "pay") return outcomeOf(postOrderPayment(database.db, payParameters(model, op)));
  if (op.t === "payout") {
    return outcomeOf(
      requestPayout(database.db, {
        payoutId: `r${model.run}-p${op.payout}`,
        shopId: shopId(model, op.shop),
        amountMinor: BigInt(op.amount),
        currency: "CNY",
        expiresAt: op.short ? shortExpiry : longExpiry,
      }),
    );
  }
  return outcomeOf(viaBatcher ? batcher.post(creditInput(model, op)) : postJournal(database.db, creditInput(model, op)));
}

async function step(database: TestDatabase, batcher: JournalBatcher, model: Model, op: Command): Promise<void> {
  switch (op.t) {
    case "pay":
    case "payout":
    case "credit": {
      const expected = expectedOutcome(model, op);
      const outcome = await runSimple(database, batcher, model, op, true);
      expect(outcome, JSON.stringify(op)).to.equal(expected);
      if (outcome === "created") applyCreated(model, op);
      return;
    }
    case "refund": {
      const payment = model.payments.get(op.order);
      const key = `${op.order}:${op.refundId}`;
      const outcome = await outcomeOf(
        postOrderRefund(database.db, {
          orderId: `r${model.run}-o${op.order}`,
          shopId: payment ? shopId(model, payment.shop) : shopId(model, 0),
          amountMinor: BigInt(op.amount),
          currency: "CNY",
          reason: "dispute",
          refundId: String(op.refundId),
        }),
      );
      if (!payment) return void expect(outcome).to.equal("invalid_state");
      const previous = model.refunds.get(key);
      if (previous !== undefined) {
        return void expect(outcome).to.be.oneOf(previous === BigInt(op.amount) ? ["exists"] : ["idempotency_conflict", "invalid_state"]);
      }
      const refunded = model.refunded.get(op.order) ?? 0n;
      const paid = BigInt(payment.amount);
      if (refunded + BigInt(op.amount) > paid) return void expect(outcome).to.equal("invalid_state");
      // Cumulative rounding of the fee's share (api/ledger/flows.ts postOrderRefund).
      const shopPart = BigInt(op.amount) - ((payment.fee * (refunded + BigInt(op.amount))) / paid - (payment.fee * refunded) / paid);
      const platformCollected = payment.provider === "chain";
      if (platformCollected && model.payable[payment.shop]! < shopPart) return void expect(outcome).to.equal("insufficient_funds");
      expect(outcome).to.equal("created");
      model.refunds.set(key, BigInt(op.amount));
      model.refunded.set(op.order, refunded + BigInt(op.amount));
      if (platformCollected) model.payable[payment.shop]! -= shopPart;
      return;
    }
    case "approve":
    case "reject": {
      const parameters = { payoutId: `r${model.run}-p${op.payout}`, now: base };
      const outcome = await outcomeOf(op.t === "approve" ? approvePayout(database.db, parameters) : rejectPayout(database.db, parameters));
      const held = model.payouts.get(op.payout);
      if (!held) return void expect(outcome).to.equal("not_found");
      const target = op.t === "approve" ? "posted" : "voided";
      if (held.state !== "pending") return void expect(outcome).to.equal(held.state === target ? "exists" : "invalid_state");
      expect(outcome).to.equal("created");
      held.state = target;
      model.held[held.shop]! -= BigInt(held.amount);
      if (target === "voided") model.payable[held.shop]! += BigInt(held.amount);
      return;
    }
    case "expire": {
      await expireHolds(database.db, { now: afterShortExpiry, limit: 1000 });
      for (const held of model.payouts.values()) {
        if (held.state === "pending" && held.short) {
          held.state = "expired";
          model.held[held.shop]! -= BigInt(held.amount);
          model.payable[held.shop]! += BigInt(held.amount);
        }
      }
      return;
    }
    case "burst": {
      // Concurrent writers: half through the batcher (credits), the rest on their own
      // connections; the same key may appear twice in one burst.
      const outcomes = await Promise.all(op.ops.map((inner, index) => runSimple(database, batcher, model, inner, index % 2 === 0)));
      const createdKeys = new Set<string>();
      op.ops.forEach((inner, index) => {
        const outcome = outcomes[index]!;
        expect(outcome, JSON.stringify(inner)).to.be.oneOf(["created", "exists", "idempotency_conflict", "insufficient_funds"]);
        const key = `${inner.t}:${inner.t === "pay" ? inner.order : inner.t === "payout" ? inner.payout : inner.key}`;
        if (outcome === "created") {
          expect(createdKeys.has(key), `${key} created twice`).to.equal(false);
          createdKeys.add(key);
          applyCreated(model, inner);
        }
      });
      return;
    }
  }
}

async function expectAgreement(database: TestDatabase, model: Model): Promise<void> {
  const findings = await checkLedgerInvariants(database.db);
  expect(findings).to.deep.equal({ unbalancedTransactions: [], currenciesNotZero: [], balanceMismatches: [], negativeFloors: [], holdMismatches: [] });
  const duplicates = await queryRows(database.db, sql`SELECT idempotency_key FROM ledger_transactions GROUP BY idempotency_key HAVING count(*) > 1`);
  expect(duplicates).to.deep.equal([]);
  const rows = await queryRows<{ owner_id: bigint; purpose: string; balance_minor: bigint }>(
    database.db,
    sql`SELECT owner_id, purpose, balance_minor FROM ledger_accounts
        WHERE owner_type = 'shop' AND owner_id > ${model.run * 100} AND owner_id <= ${model.run * 100 + shopsPerRun}`,
  );
  for (let index = 0; index < shopsPerRun; index++) {
    const id = shopId(model, index);
    const payable = rows.find((row) => row.owner_id === id && row.purpose === "payable")?.balance_minor ?? 0n;
    const held = rows.find((row) => row.owner_id === id && row.purpose === "holds")?.balance_minor ?? 0n;
    expect({ shop: index, payable, held }).to.deep.equal({ shop: index, payable: model.payable[index], held: model.held[index] });
  }
  const holds = await queryRows<{ reference_id: string; state: string }>(
    database.db,
    sql`SELECT reference_id, state FROM ledger_holds WHERE reference_type = 'payout' AND reference_id LIKE ${`r${model.run}-p%`}`,
  );
  const modelHolds = [...model.payouts].map(([index, held]) => ({ reference_id: `r${model.run}-p${index}`, state: held.state }));
  expect(new Set(holds.map((hold) => `${hold.reference_id}=${hold.state}`))).to.deep.equal(
    new Set(modelHolds.map((hold) => `${hold.reference_id}=${hold.state}`)),
  );
}

describe("ledger properties (PostgreSQL server, fast-check)", () => {
  let database: TestDatabase;
  let batcher: JournalBatcher;
  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 12 });
    batcher = createJournalBatcher(database.db, { batchSizeMax: 100, flushesInFlightMax: 2, batchWaitMs: 0, queueLengthMax: 1000 });
  });
  after(async () => {
    await batcher.drain();
    await database.drop();
  });

  it("keeps every invariant and agrees with the model after each operation", async function () {
    this.timeout(testEnv.thorough ? 600_000 : 90_000);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: testEnv.thorough ? 60 : 20 }), async (commands) => {
        run += 1;
        const model: Model = {
          run,
          payable: Array(shopsPerRun).fill(0n),
          held: Array(shopsPerRun).fill(0n),
          payments: new Map(),
          refunds: new Map(),
          refunded: new Map(),
          payouts: new Map(),
          credits: new Map(),
        };
        for (const op of commands) {
          await step(database, batcher, model, op);
          await expectAgreement(database, model);
        }
      }),
      { seed: testEnv.thorough ? Date.now() : 20261125, numRuns: testEnv.thorough ? 60 : 8, endOnFailure: true },
    );
  });
});
