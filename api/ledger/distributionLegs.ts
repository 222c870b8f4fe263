// The distribution legs of a sale (docs/distribution.md): a sub-store agent's markup and up to
// three referrers' commissions, posted in the sale's own journal transaction (orderPaymentEntry)
// and given back in each refund's (postOrderRefund), so that who earned what from one sale is
// in one balanced entry. Only platform-collected sales carry them: the platform must hold the
// money it owes a distributor (DESIGN.md invariant 8).
//
// Accounts (owner "distributor", id = the agent's or referrer's account id):
//   distributor/holds         earnings inside the chargeback window (never negative)
//   distributor/proceeds      earnings payable to the distributor (never negative)
//   distributor/payout_holds  proceeds set aside by a payout request awaiting approval
//
// The split of a sale of amount A (minor units), platform fee F (flows.ts), markup M:
//   agent's fee share  fA = floor(F x M / A)          (the fee is the platform's cut of all of A)
//   agent's credit          M - fA
//   merchant's net      N  = A - M - (F - fA)
//   commission level i  Ci = floor(N x bps_i / 10000)  (bps summed <= 10000, so the shop keeps >= 0)
//   shop payable            N - sum(Ci)
// Refund of R (cumulative refunded before: B): each distributor gives back
//   floor(credit x (B + R) / A) - what it gave back before,
// so a sale refunded in full, in any number of parts, takes back exactly each credit.
import { AppError } from "../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import type { AccountRef, PostingInput } from "./types.ts";

/** What a sale owes its distributors, decided at checkout and stored with the order. */
export type DistributionShares = {
  agent: { accountId: bigint; substoreId: bigint; markupMinor: bigint } | null;
  referrers: { accountId: bigint; level: 1 | 2 | 3; bps: number }[];
};

/** The stored form (orders.pricing -> 'distribution'): ids and amounts as decimal strings. */
export type DistributionSharesJson = {
  agent: { accountId: string; substoreId: string; markupMinor: string } | null;
  referrers: { accountId: string; level: 1 | 2 | 3; bps: number }[];
};

export function sharesToJson(shares: DistributionShares): DistributionSharesJson {
  return {
    agent: shares.agent && {
      accountId: String(shares.agent.accountId),
      substoreId: String(shares.agent.substoreId),
      markupMinor: String(shares.agent.markupMinor),
    },
    referrers: shares.referrers.map((referrer) => ({ accountId: String(referrer.accountId), level: referrer.level, bps: referrer.bps })),
  };
}

export function sharesFromJson(json: DistributionSharesJson | null | undefined): DistributionShares | null {
  if (!json) return null;
  return {
    agent: json.agent && { accountId: BigInt(json.agent.accountId), substoreId: BigInt(json.agent.substoreId), markupMinor: BigInt(json.agent.markupMinor) },
    referrers: json.referrers.map((referrer) => ({ accountId: BigInt(referrer.accountId), level: referrer.level, bps: referrer.bps })),
  };
}

export function distributor(accountId: bigint, purpose: "holds" | "proceeds" | "payout_holds"): AccountRef {
  return { ownerType: "distributor", ownerId: accountId, purpose };
}

export type DistributionSplit = {
  agentMinor: bigint;
  agentFeeMinor: bigint;
  merchantNetMinor: bigint;
  commissions: { accountId: bigint; level: number; amountMinor: bigint }[];
  /** Everything the distributors get: taken from what the shop's payable would otherwise be. */
  distributedMinor: bigint;
};

/** The split above, pure (test/distribution/split.test.ts checks it against hand-computed amounts). */
export function splitSale(parameters: { amountMinor: bigint; feeMinor: bigint; shares: DistributionShares }): DistributionSplit {
  const { amountMinor, feeMinor, shares } = parameters;
  const markupMinor = shares.agent?.markupMinor ?? 0n;
  if (markupMinor < 0n || markupMinor > amountMinor) throw new Error(`markup ${markupMinor} outside the sale's amount ${amountMinor}`);
  const agentFeeMinor = amountMinor === 0n ? 0n : (feeMinor * markupMinor) / amountMinor;
  const agentMinor = markupMinor - agentFeeMinor;
  const merchantNetMinor = amountMinor - markupMinor - (feeMinor - agentFeeMinor);
  const bpsTotal = shares.referrers.reduce((sum, referrer) => sum + referrer.bps, 0);
  if (bpsTotal > 10_000 || shares.referrers.some((referrer) => referrer.bps < 0)) throw new Error(`commission rates ${bpsTotal} bps outside 0..10000`);
  const commissions = shares.referrers.map((referrer) => ({
    accountId: referrer.accountId,
    level: referrer.level,
    amountMinor: (merchantNetMinor * BigInt(referrer.bps)) / 10_000n,
  }));
  const distributedMinor = agentMinor + commissions.reduce((sum, commission) => sum + commission.amountMinor, 0n);
  return { agentMinor, agentFeeMinor, merchantNetMinor, commissions, distributedMinor };
}

/** Credits per distributor account (an agent may also be a referrer of the same sale: one leg each). */
function creditsByAccount(split: DistributionSplit, shares: DistributionShares): Map<bigint, bigint> {
  const credits = new Map<bigint, bigint>();
  const add = (accountId: bigint, amountMinor: bigint) => credits.set(accountId, (credits.get(accountId) ?? 0n) + amountMinor);
  if (shares.agent) add(shares.agent.accountId, split.agentMinor);
  for (const commission of split.commissions) add(commission.accountId, commission.amountMinor);
  return credits;
}

/**
 * The sale's distribution legs (into each distributor's holds) and the total they take from the
 * shop's payable. The caller (orderPaymentEntry) credits the shop that much less.
 */
export function distributionPaymentLegs(parameters: { amountMinor: bigint; feeMinor: bigint; currency: string; shares: DistributionShares | null }): {
  postings: PostingInput[];
  distributedMinor: bigint;
} {
  const { shares, currency } = parameters;
  if (!shares || (shares.agent === null && shares.referrers.length === 0)) return { postings: [], distributedMinor: 0n };
  const split = splitSale({ amountMinor: parameters.amountMinor, feeMinor: parameters.feeMinor, shares });
  const postings = [...creditsByAccount(split, shares)]
    .filter(([, amountMinor]) => amountMinor > 0n)
    .map(([accountId, amountMinor]) => ({ account: distributor(accountId, "holds"), amountMinor, currency }));
  return { postings, distributedMinor: split.distributedMinor };
}

/** Per distributor of one order: what the sale credited, what refunds took back, and whether it was released. */
type OrderDistribution = { accountId: bigint; creditedMinor: bigint; reversedMinor: bigint };

/** `exceptKey`: leave out one refund (a retried refund is computed as it was the first time). */
export async function orderDistribution(db: Drizzle, orderId: string, exceptKey = ""): Promise<{ released: boolean; parties: OrderDistribution[] }> {
  const rows = await queryRows<{ owner_id: string; credited: string; reversed: string }>(
    db,
    sql`SELECT a.owner_id::text AS owner_id,
               coalesce(sum(p.amount_minor) FILTER (WHERE t.kind = 'order_payment'), 0)::text AS credited,
               coalesce(-sum(p.amount_minor) FILTER (WHERE t.kind = 'order_refund'), 0)::text AS reversed
        FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE t.reference_type = 'order' AND t.reference_id = ${orderId} AND t.kind IN ('order_payment', 'order_refund')
          AND a.owner_type = 'distributor' AND t.idempotency_key <> ${exceptKey}
        GROUP BY a.owner_id ORDER BY a.owner_id`,
  );
  const released = await queryOne<{ id: bigint }>(db, sql`SELECT id FROM ledger_transactions WHERE idempotency_key = ${releaseKey(orderId)}`);
  return {
    released: released !== undefined,
    parties: rows.map((row) => ({ accountId: BigInt(row.owner_id), creditedMinor: BigInt(row.credited), reversedMinor: BigInt(row.reversed) })),
  };
}

export const releaseKey = (orderId: string) => `order:${orderId}:distribution_release`;

/**
 * A refund's distribution legs: each distributor gives back its share of the refund (cumulative
 * rounding, above) from its holds, or from its proceeds once the window released them (then a
 * distributor that was paid out already makes the refund insufficient_funds, as a shop would).
 * The order row is locked first, so a refund and the release sweep of one order never both
 * read the same balance. Call inside the refund's transaction.
 */
export async function distributionRefundLegs(
  db: Drizzle,
  parameters: { orderId: string; idempotencyKey: string; currency: string; paidMinor: bigint; refundedBeforeMinor: bigint; amountMinor: bigint },
): Promise<{ postings: PostingInput[]; reversedMinor: bigint; creditedMinor: bigint }> {
  const { orderId, currency, paidMinor, refundedBeforeMinor, amountMinor } = parameters;
  await db.execute(sql`SELECT 1 FROM orders WHERE id = ${orderId} FOR UPDATE`);
  const { released, parties } = await orderDistribution(db, orderId, parameters.idempotencyKey);
  const postings: PostingInput[] = [];
  let reversedMinor = 0n;
  let creditedMinor = 0n;
  for (const party of parties) {
    if (party.creditedMinor <= 0n) continue;
    creditedMinor += party.creditedMinor;
    const targetMinor = (party.creditedMinor * (refundedBeforeMinor + amountMinor)) / paidMinor;
    const backMinor = targetMinor - party.reversedMinor;
    if (backMinor < 0n) throw new AppError("invalid_state", `Order ${orderId} took back more from a distributor than its refunds call for.`);
    if (backMinor === 0n) continue;
    postings.push({ account: distributor(party.accountId, released ? "proceeds" : "holds"), amountMinor: -backMinor, currency });
    reversedMinor += backMinor;
  }
  return { postings, reversedMinor, creditedMinor };
}
