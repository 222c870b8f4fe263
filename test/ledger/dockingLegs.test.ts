// A docked sale's journal entry on its own, without the database (docs/docking.md, "The books").
// Every expected posting is written out by hand from the rule (fee = floor(A x bps / 10000),
// supplier fee = floor(W x bps / 10000), supplier = W - supplier fee, reseller = the rest), never
// computed by the module; the property checks what the rule promises (balanced, the platform's
// fee is a plain sale's, nobody's share negative) against a model written here.
import { expect } from "chai";
import fc from "fast-check";
import { AppError } from "../../core/errors.ts";
import { orderPaymentEntry } from "../../api/ledger/flows.ts";
import { mergePostings, supplierRefundShare } from "../../api/ledger/dockingLegs.ts";
import type { JournalInput } from "../../api/ledger/types.ts";

const reseller = 7n;
const supplier = 9n;

function dockedSale(amountMinor: bigint, wholesaleMinor: bigint, platformFeeBps: number) {
  return orderPaymentEntry({
    orderId: "ord-d",
    shopId: reseller,
    amountMinor,
    currency: "ETH",
    provider: "chain",
    platformFeeBps,
    docking: { supplierShopId: supplier, wholesaleMinor },
  }).entry;
}

/** owner:id:purpose -> amount, for comparing with the hand-written legs. */
function legsOf(entry: JournalInput): Record<string, string> {
  return Object.fromEntries(
    entry.postings.map((posting) => {
      const account = posting.account as { ownerType: string; ownerId: bigint; purpose: string };
      return [`${account.ownerType}:${account.ownerId}:${account.purpose}`, String(posting.amountMinor)];
    }),
  );
}

describe("docking legs of a sale's journal entry (pure)", () => {
  it("splits 10001 at wholesale 7777 and 250 bps: fee 250, supplier 7583 (7777 - 194), reseller 2168", () => {
    const entry = dockedSale(10_001n, 7_777n, 250);
    expect(legsOf(entry)).to.deep.equal({
      "platform:0:clearing_chain": "-10001",
      "platform:0:fees": "250",
      "shop:7:payable": "2168",
      "shop:9:payable": "7583",
    });
    expect(entry.metadata).to.include({ dockingSupplierShopId: "9", dockingWholesaleMinor: "7777" });
    expect(entry.idempotencyKey).to.equal("order:ord-d:payment");
  });

  it("without a fee the supplier gets the whole wholesale; at 100% the platform takes all and the payables nothing", () => {
    expect(legsOf(dockedSale(10_001n, 7_777n, 0))).to.deep.equal({
      "platform:0:clearing_chain": "-10001",
      "shop:7:payable": "2224",
      "shop:9:payable": "7777",
    });
    expect(legsOf(dockedSale(10_001n, 7_777n, 10_000))).to.deep.equal({ "platform:0:clearing_chain": "-10001", "platform:0:fees": "10001" });
  });

  it("a margin of one unit at 9999 bps leaves the reseller nothing, never less: fee 1000, supplier 1 (1000 - 999)", () => {
    expect(legsOf(dockedSale(1_001n, 1_000n, 9_999))).to.deep.equal({
      "platform:0:clearing_chain": "-1001",
      "platform:0:fees": "1000",
      "shop:9:payable": "1",
    });
  });

  it("is refused for a shop's own gateway: the platform would credit the supplier money it does not hold", () => {
    let caught: unknown;
    try {
      orderPaymentEntry({
        orderId: "o",
        shopId: reseller,
        amountMinor: 10n,
        currency: "CNY",
        provider: "epay",
        platformFeeBps: 0,
        docking: { supplierShopId: supplier, wholesaleMinor: 5n },
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(AppError);
    expect((caught as AppError).code).to.equal("docking_payment_method");
  });

  it("balances, keeps a plain sale's fee and gives nobody a negative share, for any price above the wholesale (fast-check)", () => {
    const seed = Number(process.env.DOCKING_SEED ?? 16);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 10_000 }),
        (wholesaleMinor, marginMinor, bps) => {
          const amountMinor = wholesaleMinor + marginMinor;
          const entry = dockedSale(amountMinor, wholesaleMinor, bps);
          const legs = legsOf(entry);
          const sum = entry.postings.reduce((total, posting) => total + posting.amountMinor, 0n);
          // The model: the platform's fee on the whole price, the supplier's fee on the wholesale.
          const fee = (amountMinor * BigInt(bps)) / 10_000n;
          const supplierShare = wholesaleMinor - (wholesaleMinor * BigInt(bps)) / 10_000n;
          expect(sum).to.equal(0n);
          expect(BigInt(legs["platform:0:fees"] ?? "0")).to.equal(fee);
          expect(BigInt(legs["shop:9:payable"] ?? "0")).to.equal(supplierShare);
          expect(BigInt(legs["shop:7:payable"] ?? "0") >= 0n).to.equal(true);
          expect(entry.postings.every((posting) => posting.amountMinor !== 0n)).to.equal(true);
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it("merges legs of one account and currency, drops those that net to zero, keeps the first-seen order", () => {
    const payable = (shopId: bigint) => ({ ownerType: "shop" as const, ownerId: shopId, purpose: "payable" as const });
    const merged = mergePostings([
      { account: payable(1n), amountMinor: 10n, currency: "CNY" },
      { account: payable(2n), amountMinor: 5n, currency: "CNY" },
      { account: payable(1n), amountMinor: -3n, currency: "CNY" },
      { account: payable(1n), amountMinor: 4n, currency: "USD" },
      { account: payable(2n), amountMinor: -5n, currency: "CNY" },
    ]);
    expect(merged).to.deep.equal([
      { account: payable(1n), amountMinor: 7n, currency: "CNY" },
      { account: payable(1n), amountMinor: 4n, currency: "USD" },
    ]);
  });

  it("merges postings to accounts given by id like those given by identity, one per id", () => {
    const merged = mergePostings([
      { account: 5n, amountMinor: 3n, currency: "CNY" },
      { account: 6n, amountMinor: 1n, currency: "CNY" },
      { account: 5n, amountMinor: 4n, currency: "CNY" },
    ]);
    expect(merged).to.deep.equal([
      { account: 5n, amountMinor: 7n, currency: "CNY" },
      { account: 6n, amountMinor: 1n, currency: "CNY" },
    ]);
  });

  it("gives back the supplier's share of a refund as cumulative floors: 7583 of 10001 over refunds of 3000, 3000 and 4001", () => {
    // By hand: floor(7583 x 3000 / 10001) = 2274; floor(7583 x 6000 / 10001) = 4549, so 2275;
    // the last gives back the rest, 7583 - 4549 = 3034; together exactly 7583.
    const first = supplierRefundShare(7_583n, { amountMinor: 3_000n, paidMinor: 10_001n, refundedBeforeMinor: 0n });
    const second = supplierRefundShare(7_583n, { amountMinor: 3_000n, paidMinor: 10_001n, refundedBeforeMinor: 3_000n });
    const last = supplierRefundShare(7_583n, { amountMinor: 4_001n, paidMinor: 10_001n, refundedBeforeMinor: 6_000n });
    expect([first, second, last]).to.deep.equal([2_274n, 2_275n, 3_034n]);
    expect(supplierRefundShare(7_583n, { amountMinor: 10_001n, paidMinor: 10_001n, refundedBeforeMinor: 0n })).to.equal(7_583n);
  });
});
