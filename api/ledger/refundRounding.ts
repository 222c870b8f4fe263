// Who absorbs the rounding of partial refunds (docs/pricing.md, "Refund rounding"): the platform.
//
// A sale of A credits the platform's fee F and every other party its share (the shop's net N,
// distributors' commissions and markup, a docked sale's supplier). After refunds totalling R,
// every party but the platform has given back exactly floor(share x R / A) of its own share:
// never more than its proportional part of what it received, so no refund can take a shop, a
// supplier or a distributor below what this sale left it, and none is refused part way through
// for a rounding unit. The platform's fee gives back the rest, R minus those floors: at least its
// own proportional part, at most (parties − 1) minor units more, which it fronts and takes back
// as later refunds' floors catch up (a later step's fee share can be negative by those units).
// At R = A every floor is whole: every party has given back exactly its share, the fee exactly F.
// Pure, so the mutation run covers it (test/ledger/refundRounding.test.ts).

/** What a party with `shareMinor` of a sale of `paidMinor` gives back of one refund: cumulative floors. */
export function cumulativeFloorShare(shareMinor: bigint, refund: { amountMinor: bigint; paidMinor: bigint; refundedBeforeMinor: bigint }): bigint {
  const upTo = (refundedMinor: bigint) => (shareMinor * refundedMinor) / refund.paidMinor;
  return upTo(refund.refundedBeforeMinor + refund.amountMinor) - upTo(refund.refundedBeforeMinor);
}

/** What the platform forgives of a merchant-collected sale's fee F for one refund: cumulative ceilings (the platform absorbs). */
export function cumulativeCeilShare(shareMinor: bigint, refund: { amountMinor: bigint; paidMinor: bigint; refundedBeforeMinor: bigint }): bigint {
  const upTo = (refundedMinor: bigint) => (shareMinor * refundedMinor + refund.paidMinor - 1n) / refund.paidMinor;
  return upTo(refund.refundedBeforeMinor + refund.amountMinor) - upTo(refund.refundedBeforeMinor);
}

/**
 * One refund's split on a platform-collected sale: the selling shop's own share back (its net
 * N = paid − fee − distributors' credits − the supplier's share, cumulative floor), and the fee's
 * (the rest of the amount after the shop's, the distributors' and the supplier's give-backs).
 */
export function refundSplit(parameters: {
  amountMinor: bigint;
  paidMinor: bigint;
  refundedBeforeMinor: bigint;
  feeMinor: bigint;
  distributorsCreditedMinor: bigint;
  distributorsBackMinor: bigint;
  supplierMinor: bigint;
  supplierBackMinor: bigint;
}): { shopOwnBackMinor: bigint; feeBackMinor: bigint } {
  const shopNetMinor = parameters.paidMinor - parameters.feeMinor - parameters.distributorsCreditedMinor - parameters.supplierMinor;
  const shopOwnBackMinor = cumulativeFloorShare(shopNetMinor > 0n ? shopNetMinor : 0n, parameters);
  return { shopOwnBackMinor, feeBackMinor: parameters.amountMinor - shopOwnBackMinor - parameters.distributorsBackMinor - parameters.supplierBackMinor };
}
