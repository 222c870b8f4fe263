// The split of a sale between the platform, a sub-store agent, three referral levels and the
// shop (api/ledger/distributionLegs.ts splitSale), against amounts worked out by hand here.
import { expect } from "chai";
import { splitSale } from "../../api/ledger/distributionLegs.ts";

describe("distribution split", () => {
  const shares = {
    agent: { accountId: 10n, substoreId: 1n, markupMinor: 399n },
    referrers: [
      { accountId: 21n, level: 1 as const, bps: 1250 },
      { accountId: 22n, level: 2 as const, bps: 333 },
      { accountId: 23n, level: 3 as const, bps: 177 },
    ],
  };

  it("splits 3 x (10.00 + 1.33) at a 5% fee as worked out by hand", () => {
    // A = 3399, F = floor(3399 x 500 / 10000) = 169 (the fee flows.ts computes).
    // Agent's fee share floor(169 x 399 / 3399) = floor(19.83) = 19, credit 399 - 19 = 380.
    // Merchant's net N = 3399 - 399 - (169 - 19) = 2850.
    // Levels: floor(2850 x 12.5%) = 356, floor(2850 x 3.33%) = floor(94.905) = 94, floor(2850 x 1.77%) = floor(50.445) = 50.
    const split = splitSale({ amountMinor: 3399n, feeMinor: 169n, shares });
    expect([split.agentFeeMinor, split.agentMinor, split.merchantNetMinor]).to.deep.equal([19n, 380n, 2850n]);
    expect(split.commissions.map((commission) => commission.amountMinor)).to.deep.equal([356n, 94n, 50n]);
    expect(split.distributedMinor).to.equal(380n + 356n + 94n + 50n);
    // What the shop keeps: 2850 - 500 = 2350; with the fee and the distributors it is the whole sale.
    expect(3399n - 169n - split.distributedMinor).to.equal(2350n);
  });

  it("rates summing to exactly 100% leave the shop nothing but never less", () => {
    const all = { agent: null, referrers: [{ accountId: 1n, level: 1 as const, bps: 10_000 }] };
    const split = splitSale({ amountMinor: 1000n, feeMinor: 50n, shares: all });
    expect([split.merchantNetMinor, split.distributedMinor]).to.deep.equal([950n, 950n]);
  });

  it("refuses rates over 100% or negative, and a markup larger than the sale", () => {
    expect(() => splitSale({ amountMinor: 1000n, feeMinor: 0n, shares: { agent: null, referrers: [{ accountId: 1n, level: 1, bps: 10_001 }] } })).to.throw(
      /bps/,
    );
    expect(() => splitSale({ amountMinor: 1000n, feeMinor: 0n, shares: { agent: null, referrers: [{ accountId: 1n, level: 1, bps: -1 }] } })).to.throw(/bps/);
    expect(() =>
      splitSale({ amountMinor: 100n, feeMinor: 0n, shares: { agent: { accountId: 1n, substoreId: 1n, markupMinor: 101n }, referrers: [] } }),
    ).to.throw(/markup/);
  });
});
