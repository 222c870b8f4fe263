// The journal entries of an order payment and of a payment that cannot pay for its order, on
// their own, without the database (the mutation run's guard of api/ledger/flows.ts). Every
// expected posting is written out by hand from docs/ledger.md ("Who holds the money",
// fee = floor(amount x bps / 10000), + credit, - debit), never computed by the module.
import { expect } from "chai";
import { AppError } from "../../core/errors.ts";
import { collectionOf, orderPaymentEntry, unmatchedPaymentEntry, type OrderPaymentProvider } from "../../api/ledger/flows.ts";
import type { AccountRef, JournalInput } from "../../api/ledger/types.ts";

const clearingChain: AccountRef = { ownerType: "platform", ownerId: 0n, purpose: "clearing_chain" };
const clearingMerchant: AccountRef = { ownerType: "platform", ownerId: 0n, purpose: "clearing_merchant" };
const platformFees: AccountRef = { ownerType: "platform", ownerId: 0n, purpose: "fees" };
const platformRefunds: AccountRef = { ownerType: "platform", ownerId: 0n, purpose: "refunds" };
const shopPayable: AccountRef = { ownerType: "shop", ownerId: 7n, purpose: "payable" };
const shopCollected: AccountRef = { ownerType: "shop", ownerId: 7n, purpose: "collected" };
const shopFeeReceivable: AccountRef = { ownerType: "shop", ownerId: 7n, purpose: "fee_receivable" };

function sale(provider: OrderPaymentProvider, amountMinor: bigint, platformFeeBps: number, currency = "CNY") {
  return orderPaymentEntry({ orderId: "ord-1", shopId: 7n, amountMinor, currency, provider, platformFeeBps });
}

/** Sum of the postings per currency: a balanced entry sums to zero in each. */
function totals(entry: JournalInput): Record<string, bigint> {
  const sums: Record<string, bigint> = {};
  for (const posting of entry.postings) sums[posting.currency] = (sums[posting.currency] ?? 0n) + posting.amountMinor;
  return sums;
}

function expectValidationError(run: () => unknown, message: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, "expected a refusal").to.be.instanceOf(AppError);
  expect((caught as AppError).code).to.equal("validation_failed");
  expect((caught as AppError).message).to.equal(message);
}

describe("ledger payment entries (pure)", () => {
  describe("collectionOf", () => {
    it("the PaymentRouter is platform-collected, the shop's own EPay merchant-collected", () => {
      expect(collectionOf("chain")).to.equal("platform");
      expect(collectionOf("epay")).to.equal("merchant");
    });

    it("refuses a provider it does not know, naming it", () => {
      expectValidationError(() => collectionOf("paypal" as OrderPaymentProvider), "Unknown payment provider paypal.");
      expectValidationError(() => collectionOf("" as OrderPaymentProvider), "Unknown payment provider .");
    });
  });

  describe("orderPaymentEntry, platform-collected (chain)", () => {
    it("500 bps of 1999 fen: fee floor(99.95) = 99, the shop's payable 1900", () => {
      const result = sale("chain", 1999n, 500);
      expect(result.feeMinor).to.equal(99n);
      expect(result.shopMinor).to.equal(1900n);
      expect(result.entry).to.deep.equal({
        idempotencyKey: "order:ord-1:payment",
        kind: "order_payment",
        reference: { type: "order", id: "ord-1" },
        metadata: { provider: "chain", platformFeeBps: 500 },
        postings: [
          { account: clearingChain, amountMinor: -1999n, currency: "CNY" },
          { account: platformFees, amountMinor: 99n, currency: "CNY" },
          { account: shopPayable, amountMinor: 1900n, currency: "CNY" },
        ],
      });
      expect(totals(result.entry)).to.deep.equal({ CNY: 0n });
    });

    it("a fee that divides exactly: 250 bps of 10000 is 250", () => {
      const result = sale("chain", 10_000n, 250, "USD");
      expect(result.feeMinor).to.equal(250n);
      expect(result.shopMinor).to.equal(9750n);
      expect(result.entry.postings).to.deep.equal([
        { account: clearingChain, amountMinor: -10_000n, currency: "USD" },
        { account: platformFees, amountMinor: 250n, currency: "USD" },
        { account: shopPayable, amountMinor: 9750n, currency: "USD" },
      ]);
      expect(totals(result.entry)).to.deep.equal({ USD: 0n });
    });

    it("0 bps: no fee leg, the whole amount payable", () => {
      const result = sale("chain", 1999n, 0);
      expect(result.feeMinor).to.equal(0n);
      expect(result.shopMinor).to.equal(1999n);
      expect(result.entry.metadata).to.deep.equal({ provider: "chain", platformFeeBps: 0 });
      expect(result.entry.postings).to.deep.equal([
        { account: clearingChain, amountMinor: -1999n, currency: "CNY" },
        { account: shopPayable, amountMinor: 1999n, currency: "CNY" },
      ]);
    });

    it("10000 bps: the whole amount is fee, no payable leg", () => {
      const result = sale("chain", 1999n, 10_000);
      expect(result.feeMinor).to.equal(1999n);
      expect(result.shopMinor).to.equal(0n);
      expect(result.entry.postings).to.deep.equal([
        { account: clearingChain, amountMinor: -1999n, currency: "CNY" },
        { account: platformFees, amountMinor: 1999n, currency: "CNY" },
      ]);
    });

    it("a fee below one minor unit rounds down to nothing: 1 bps of 9999", () => {
      const result = sale("chain", 9999n, 1);
      expect(result.feeMinor).to.equal(0n);
      expect(result.entry.postings).to.deep.equal([
        { account: clearingChain, amountMinor: -9999n, currency: "CNY" },
        { account: shopPayable, amountMinor: 9999n, currency: "CNY" },
      ]);
    });

    it("one minor unit: 1 bps of 10000 is 1", () => {
      const result = sale("chain", 10_000n, 1);
      expect(result.feeMinor).to.equal(1n);
      expect(result.shopMinor).to.equal(9999n);
    });
  });

  describe("orderPaymentEntry, merchant-collected (the shop's own EPay)", () => {
    it("500 bps of 1999 fen: the memo pair nets to zero and the merchant owes the fee of 99", () => {
      const result = sale("epay", 1999n, 500);
      expect(result.feeMinor).to.equal(99n);
      expect(result.shopMinor).to.equal(1900n);
      expect(result.entry).to.deep.equal({
        idempotencyKey: "order:ord-1:payment",
        kind: "order_payment",
        reference: { type: "order", id: "ord-1" },
        metadata: { provider: "epay", platformFeeBps: 500, collection: "merchant" },
        postings: [
          { account: clearingMerchant, amountMinor: -1999n, currency: "CNY" },
          { account: shopCollected, amountMinor: 1999n, currency: "CNY" },
          { account: shopFeeReceivable, amountMinor: -99n, currency: "CNY" },
          { account: platformFees, amountMinor: 99n, currency: "CNY" },
        ],
      });
      expect(totals(result.entry)).to.deep.equal({ CNY: 0n });
    });

    it("never credits the shop's payable", () => {
      for (const bps of [0, 1, 500, 10_000]) {
        const accounts = sale("epay", 1999n, bps).entry.postings.map((posting) => posting.account);
        expect(accounts).to.not.deep.include(shopPayable);
      }
    });

    it("0 bps: only the memo pair", () => {
      const result = sale("epay", 1999n, 0, "USD");
      expect(result.feeMinor).to.equal(0n);
      expect(result.shopMinor).to.equal(1999n);
      expect(result.entry.metadata).to.deep.equal({ provider: "epay", platformFeeBps: 0, collection: "merchant" });
      expect(result.entry.postings).to.deep.equal([
        { account: clearingMerchant, amountMinor: -1999n, currency: "USD" },
        { account: shopCollected, amountMinor: 1999n, currency: "USD" },
      ]);
      expect(totals(result.entry)).to.deep.equal({ USD: 0n });
    });

    it("10000 bps: the merchant owes the whole amount as fee", () => {
      const result = sale("epay", 500n, 10_000);
      expect(result.feeMinor).to.equal(500n);
      expect(result.shopMinor).to.equal(0n);
      expect(result.entry.postings).to.deep.equal([
        { account: clearingMerchant, amountMinor: -500n, currency: "CNY" },
        { account: shopCollected, amountMinor: 500n, currency: "CNY" },
        { account: shopFeeReceivable, amountMinor: -500n, currency: "CNY" },
        { account: platformFees, amountMinor: 500n, currency: "CNY" },
      ]);
    });
  });

  describe("orderPaymentEntry refusals", () => {
    for (const provider of ["chain", "epay"] as const) {
      it(`${provider}: refuses an amount that is not a positive bigint`, () => {
        const message = "amountMinor must be a positive bigint of minor units.";
        expectValidationError(() => sale(provider, 0n, 500), message);
        expectValidationError(() => sale(provider, -1n, 500), message);
        expectValidationError(() => sale(provider, 1999 as unknown as bigint, 500), message);
      });

      it(`${provider}: refuses a fee outside 0..10000 whole basis points`, () => {
        const message = "platformFeeBps must be an integer from 0 to 10000 basis points.";
        expectValidationError(() => sale(provider, 1999n, -1), message);
        expectValidationError(() => sale(provider, 1999n, 10_001), message);
        expectValidationError(() => sale(provider, 1999n, 2.5), message);
        expectValidationError(() => sale(provider, 1999n, Number.NaN), message);
      });
    }

    it("refuses an unknown provider", () => {
      expectValidationError(() => sale("paypal" as OrderPaymentProvider, 1999n, 500), "Unknown payment provider paypal.");
    });

    it("1 minor unit is the smallest amount accepted", () => {
      expect(sale("chain", 1n, 500).entry.postings).to.deep.equal([
        { account: clearingChain, amountMinor: -1n, currency: "CNY" },
        { account: shopPayable, amountMinor: 1n, currency: "CNY" },
      ]);
    });
  });

  describe("unmatchedPaymentEntry", () => {
    function unmatched(provider: OrderPaymentProvider, outcome: string, amountMinor: bigint) {
      return unmatchedPaymentEntry({ paymentId: 42n, orderId: "ord-1", shopId: 7n, provider, amountMinor, currency: "CNY", outcome });
    }

    for (const [outcome, amountMinor] of [
      ["underpaid", 1500n],
      ["overpaid", 2500n],
      ["late", 1999n],
    ] as const) {
      it(`platform-collected ${outcome}: clearing_chain -${amountMinor}, platform refunds +${amountMinor}`, () => {
        const entry = unmatched("chain", outcome, amountMinor);
        expect(entry).to.deep.equal({
          idempotencyKey: "payment:42:unmatched",
          kind: "unmatched_payment",
          reference: { type: "payment", id: "42" },
          postings: [
            { account: clearingChain, amountMinor: -amountMinor, currency: "CNY" },
            { account: platformRefunds, amountMinor, currency: "CNY" },
          ],
          metadata: { orderId: "ord-1", outcome, provider: "chain" },
        });
        expect(totals(entry)).to.deep.equal({ CNY: 0n });
      });

      it(`merchant-collected ${outcome}: clearing_merchant -${amountMinor}, shop collected +${amountMinor}, never the platform's debt`, () => {
        const entry = unmatched("epay", outcome, amountMinor);
        expect(entry).to.deep.equal({
          idempotencyKey: "payment:42:unmatched",
          kind: "unmatched_payment",
          reference: { type: "payment", id: "42" },
          postings: [
            { account: clearingMerchant, amountMinor: -amountMinor, currency: "CNY" },
            { account: shopCollected, amountMinor, currency: "CNY" },
          ],
          metadata: { orderId: "ord-1", outcome, provider: "epay", collection: "merchant" },
        });
        expect(totals(entry)).to.deep.equal({ CNY: 0n });
      });
    }

    it("keys by the payment, not the order: two payments of one order get two keys", () => {
      const first = unmatchedPaymentEntry({ paymentId: 1n, orderId: "o", shopId: 7n, provider: "chain", amountMinor: 1n, currency: "CNY", outcome: "late" });
      const second = unmatchedPaymentEntry({
        paymentId: 900719925474099312n,
        orderId: "o",
        shopId: 7n,
        provider: "chain",
        amountMinor: 1n,
        currency: "CNY",
        outcome: "late",
      });
      expect(first.idempotencyKey).to.equal("payment:1:unmatched");
      expect(first.reference).to.deep.equal({ type: "payment", id: "1" });
      expect(second.idempotencyKey).to.equal("payment:900719925474099312:unmatched");
      expect(second.reference).to.deep.equal({ type: "payment", id: "900719925474099312" });
    });

    it("refuses an unknown provider", () => {
      expectValidationError(() => unmatched("paypal" as OrderPaymentProvider, "late", 1n), "Unknown payment provider paypal.");
    });
  });
});
