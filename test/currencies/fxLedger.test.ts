// Two currencies in one shop's books (docs/currencies.md): the conversion arithmetic against
// figures worked by hand, and a fast-check property over random histories of sales in CNY and
// in the stablecoin (USDK, 6 decimals), partial refunds and conversions both ways at random rates:
// after every step each journal transaction's postings sum to zero in each currency, every
// posting is in its account's currency, the FX account's position in each currency equals what
// the model (plain arithmetic here, not the code) says was converted, and the invariants hold.
// Seeded (KEYLEDGER_TEST_SEED, default 2020; KEYLEDGER_TEST_RUNS, default 10).
import { expect } from "chai";
import fc from "fast-check";
import { AppError } from "../../core/errors.ts";
import { postOrderPayment, postOrderRefund } from "../../api/ledger/flows.ts";
import { fxConversionEntry, postFxConversion } from "../../api/ledger/fxConversion.ts";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import { convertMinor, parseRate, type Conversion } from "../../core/money/fx.ts";
import { convertBreakdown } from "../../api/pricing/fx.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

const seed = Number(process.env.KEYLEDGER_TEST_SEED ?? 2020);
const runs = Number(process.env.KEYLEDGER_TEST_RUNS ?? 10);

const conversion = (from: string, to: string, fromCny: string, toCny: string, fromDecimals: number, toDecimals: number): Conversion => ({
  from,
  to,
  fromCnyRate: parseRate(fromCny)!,
  toCnyRate: parseRate(toCny)!,
  fromDecimals,
  toDecimals,
});

describe("currencies: conversion arithmetic (worked by hand)", () => {
  it("converts minor units between currencies of different decimals, rounding half up", () => {
    // $15.00 at 7.1 CNY/USD = ¥106.50.
    expect(convertMinor(1500n, conversion("USD", "CNY", "7.1", "1", 2, 2))).to.equal(10650n);
    // ¥100.00 at 7.2 CNY/USDK = 13.8888888... USDK = 13,888,889 base units (6 decimals), rounded up from .888.
    expect(convertMinor(10000n, conversion("CNY", "USDK", "1", "7.2", 2, 6))).to.equal(13888889n);
    // 1 base unit of USDK at 7.2 is 0.0000072 CNY: 0 fen (below one minor unit).
    expect(convertMinor(1n, conversion("USDK", "CNY", "7.2", "1", 6, 2))).to.equal(0n);
    // Half up: 5 cents of USD at 0.9 EUR... via CNY 7.1 / 7.7: 5 x 7.1 / 7.7 = 4.61 -> 5.
    expect(convertMinor(5n, conversion("USD", "EUR", "7.1", "7.7", 2, 2))).to.equal(5n);
    // 1 cent of USD at 7.1 / 7.7 = 0.922 -> 1; 6 cents = 5.53 -> 6; 7 cents = 6.45 -> 6.
    expect([1n, 6n, 7n].map((cents) => convertMinor(cents, conversion("USD", "EUR", "7.1", "7.7", 2, 2)))).to.deep.equal([1n, 6n, 6n]);
  });

  it("a converted breakdown keeps amount = unit x quantity - discount, its total shown is the total charged", () => {
    const breakdown = {
      listUnitPriceMinor: 1500n,
      level: null,
      tier: null,
      unitPriceMinor: 1500n,
      quantity: 3,
      subtotalMinor: 4500n,
      coupon: { code: "C", kind: "fixed" as const, value: 333n, discountMinor: 333n },
      discountMinor: 333n,
      totalMinor: 4167n,
    };
    const converted = convertBreakdown(breakdown, conversion("USD", "CNY", "7.1", "1", 2, 2));
    // unit 1500 x 7.1 = 10650; x3 = 31950; discount 333 x 7.1 = 2364.3 -> 2364; total 29586.
    expect([converted.unitPriceMinor, converted.subtotalMinor, converted.discountMinor, converted.totalMinor]).to.deep.equal([10650n, 31950n, 2364n, 29586n]);
    expect(converted.totalMinor).to.equal(converted.unitPriceMinor * 3n - converted.discountMinor);
  });

  it("a conversion entry debits the shop in one currency and credits it in the other through the FX account", () => {
    const { entry, toMinor } = fxConversionEntry({
      conversionId: "x",
      shopId: 7n,
      amountMinor: 10000n,
      conversion: conversion("CNY", "USDK", "1", "7.2", 2, 6),
    });
    expect(toMinor).to.equal(13888889n);
    const sums = new Map<string, bigint>();
    for (const posting of entry.postings) sums.set(posting.currency, (sums.get(posting.currency) ?? 0n) + posting.amountMinor);
    expect([...sums.entries()]).to.deep.equal([
      ["CNY", 0n],
      ["USDK", 0n],
    ]);
    expect(() => fxConversionEntry({ conversionId: "y", shopId: 7n, amountMinor: 1n, conversion: conversion("USDK", "CNY", "7.2", "1", 6, 2) })).to.throw(
      AppError,
      /less than one minor unit/,
    );
  });
});

type Command =
  | { t: "sale"; currency: "CNY" | "USDK"; amount: number; provider: "chain" | "epay" }
  | { t: "refund"; order: number; share: number }
  | { t: "convert"; from: "CNY" | "USDK"; amount: number; rate: string };

const commands: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof(
    {
      arbitrary: fc.record({
        t: fc.constant("sale" as const),
        currency: fc.constantFrom("CNY" as const, "USDK" as const),
        amount: fc.integer({ min: 1, max: 5_000_000 }),
        provider: fc.constantFrom("chain" as const, "epay" as const),
      }),
      weight: 4,
    },
    { arbitrary: fc.record({ t: fc.constant("refund" as const), order: fc.nat(40), share: fc.integer({ min: 1, max: 100 }) }), weight: 2 },
    {
      arbitrary: fc.record({
        t: fc.constant("convert" as const),
        from: fc.constantFrom("CNY" as const, "USDK" as const),
        amount: fc.integer({ min: 1, max: 3_000_000 }),
        rate: fc.constantFrom("7.2", "6.95", "7.123456", "0.5", "13"),
      }),
      weight: 3,
    },
  ),
  { minLength: 5, maxLength: 25 },
);

describe("currencies: every ledger transaction balances per currency (fast-check, PostgreSQL)", function () {
  this.timeout(300_000);
  let database: TestDatabase;
  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
  });
  after(async () => {
    await database?.drop();
  });

  it("sales in two currencies, refunds and conversions: each transaction sums to zero per currency, the FX position is what was converted", async () => {
    let shopSeq = 1000n;
    await fc.assert(
      fc.asyncProperty(commands, async (steps) => {
        const db = database.db;
        const shopId = shopSeq++;
        const orders: { id: string; currency: string; amount: bigint; refunded: bigint }[] = [];
        // The model: what the FX account should hold in each currency (plain arithmetic).
        const fxModel = new Map<string, bigint>();
        const fxBefore = await fxPositions(database);
        let step = 0;
        for (const command of steps) {
          step++;
          if (command.t === "sale") {
            const id = `fx-${shopId}-${step}`;
            await postOrderPayment(db, {
              orderId: id,
              shopId,
              amountMinor: BigInt(command.amount),
              currency: command.currency,
              provider: command.provider,
              platformFeeBps: 500,
            });
            orders.push({ id, currency: command.currency, amount: BigInt(command.amount), refunded: 0n });
          } else if (command.t === "refund") {
            const order = orders[command.order % Math.max(orders.length, 1)];
            if (!order) continue;
            const amount = ((order.amount - order.refunded) * BigInt(command.share)) / 100n;
            if (amount <= 0n) continue;
            try {
              await postOrderRefund(db, { orderId: order.id, shopId, amountMinor: amount, currency: order.currency, reason: "other", refundId: `r${step}` });
              order.refunded += amount;
            } catch (error) {
              // The shop's payable may have been converted away: the floor refuses, nothing is written.
              if (!(error instanceof AppError) || error.code !== "insufficient_funds") throw error;
            }
          } else {
            const to = command.from === "CNY" ? "USDK" : "CNY";
            const pair = command.from === "CNY" ? conversion("CNY", "USDK", "1", command.rate, 2, 6) : conversion("USDK", "CNY", command.rate, "1", 6, 2);
            // The expected amount, computed here by hand from the rate (not by convertMinor).
            const [n, d] = rational(command.rate);
            const expected = command.from === "CNY" ? halfUp(BigInt(command.amount) * 10n ** 4n * d, n) : halfUp(BigInt(command.amount) * n, d * 10n ** 4n);
            try {
              const result = await postFxConversion(db, { conversionId: `c${step}`, shopId, amountMinor: BigInt(command.amount), conversion: pair });
              expect(result.toMinor).to.equal(expected);
              fxModel.set(command.from, (fxModel.get(command.from) ?? 0n) + BigInt(command.amount));
              fxModel.set(to, (fxModel.get(to) ?? 0n) - expected);
            } catch (error) {
              if (!(error instanceof AppError) || !["insufficient_funds", "validation_failed"].includes(error.code)) throw error;
              if (error.code === "validation_failed") expect(expected).to.equal(0n);
            }
          }
          await expectBalancedPerCurrency(database);
        }
        const fxAfter = await fxPositions(database);
        for (const currency of ["CNY", "USDK"]) {
          expect((fxAfter.get(currency) ?? 0n) - (fxBefore.get(currency) ?? 0n), currency).to.equal(fxModel.get(currency) ?? 0n);
        }
        const invariants = await checkLedgerInvariants(db);
        expect(invariants).to.deep.equal({ unbalancedTransactions: [], currenciesNotZero: [], balanceMismatches: [], negativeFloors: [], holdMismatches: [] });
      }),
      { seed, numRuns: runs },
    );
  });
});

/** "7.123456" -> [7123456n, 1000000n]. */
function rational(text: string): [bigint, bigint] {
  const [whole, fraction = ""] = text.split(".");
  return [BigInt(whole! + fraction), 10n ** BigInt(fraction.length)];
}

const halfUp = (numerator: bigint, denominator: bigint) => (numerator * 2n + denominator) / (denominator * 2n);

async function expectBalancedPerCurrency(database: TestDatabase): Promise<void> {
  const unbalanced = await queryRows<{ tx_id: string; currency: string; total: string }>(
    database.db,
    sql`SELECT tx_id::text, currency, sum(amount_minor)::text AS total FROM ledger_postings GROUP BY tx_id, currency HAVING sum(amount_minor) <> 0`,
  );
  expect(unbalanced).to.deep.equal([]);
  const mixed = await queryOne<{ n: string }>(
    database.db,
    sql`SELECT count(*)::text AS n FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE p.currency <> a.currency`,
  );
  expect(mixed?.n).to.equal("0");
}

async function fxPositions(database: TestDatabase): Promise<Map<string, bigint>> {
  const rows = await queryRows<{ currency: string; balance: string }>(
    database.db,
    sql`SELECT currency, balance_minor::text AS balance FROM ledger_accounts WHERE owner_type = 'platform' AND purpose = 'fx'`,
  );
  return new Map(rows.map((row) => [row.currency, BigInt(row.balance)]));
}
