// The platform's money flows, each one balanced journal transaction posted exactly once under
// an idempotency key derived from what caused it, so a retried job or a replayed notification
// posts nothing twice. Call them with the root database or inside your own transaction (the
// `tx` of db.transaction): they then commit or roll back with your other writes.
//
// Accounts (owner / purpose), and what a credit (+) means:
//   platform/clearing_chain       money received from buyers through the PaymentRouter (debited)
//   platform/clearing_epay        money received through the platform's own EPay merchant (debited)
//   platform/clearing_merchant    memo: sales merchants collected on their own gateways (debited)
//   shop/collected                memo: what the shop took on its own gateway (never payable)
//   shop/fee_receivable           platform fees the merchant owes (debited; settled from prepaid)
//   shop/prepaid                  what the merchant paid the platform in advance (never negative)
//   platform/refunds              money owed back to buyers (refunds, unmatched payments)
//   platform/fees                 the platform's fee revenue
//   shop/payable                  what the platform owes the shop (never negative)
//   shop/holds                    payable set aside for a payout awaiting approval
//   platform/payouts              money paid out to shops
//   buyer/payments                what a buyer paid for a resale (debited)
//   reseller/proceeds             what the platform owes a reseller (never negative)
//   reseller/holds                resale proceeds inside the chargeback window
//   buyer/refunds                 resale money returned to the buyer after a chargeback
import { AppError } from "../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { distributionPaymentLegs, distributionRefundLegs, type DistributionShares } from "./distributionLegs.ts";
import { dockingRefundLegs, mergePostings, withDockingLegs, type DockingShare } from "./dockingLegs.ts";
import { cumulativeCeilShare, refundSplit } from "./refundRounding.ts";
import { holdIdByReference, resolveHold, type ResolveHoldReturnType } from "./holds.ts";
import { postJournal } from "./postJournal.ts";
import type { AccountRef, OwnerType, AccountPurpose, JournalInput, PostingInput } from "./types.ts";

const basisPoints = 10_000n;

function account(ownerType: OwnerType, ownerId: bigint, purpose: AccountPurpose): AccountRef {
  return { ownerType, ownerId, purpose };
}

function platform(purpose: AccountPurpose): AccountRef {
  return account("platform", 0n, purpose);
}

/**
 * How an order is paid: "chain" is the platform's PaymentRouter, "epay" the shop's own EPay gateway,
 * "balance" the buyer's platform balance (buyer/refunds, moved through platform/clearing_balance:
 * api/services/orders/payFromBalance.ts).
 */
export type OrderPaymentProvider = "epay" | "chain" | "balance";

/**
 * Who holds a payment's money (docs/ledger.md, "Who holds the money"). The PaymentRouter pays
 * the platform: platform-collected. A shop's EPay gateway pays the merchant, whose key the
 * merchant chose and can sign any notification with: merchant-collected, so it must never
 * become a payable the platform owes.
 */
export type Collection = "platform" | "merchant";

export function collectionOf(provider: OrderPaymentProvider): Collection {
  if (provider === "chain" || provider === "balance") return "platform";
  if (provider === "epay") return "merchant";
  throw new AppError("validation_failed", `Unknown payment provider ${String(provider)}.`);
}

/** Where a provider's money is booked when it arrives, before it is split or given back. */
function clearing(provider: OrderPaymentProvider): AccountRef {
  if (provider === "balance") return platform("clearing_balance");
  return platform(collectionOf(provider) === "platform" ? "clearing_chain" : "clearing_merchant");
}

function checkAmount(name: string, value: bigint): void {
  if (typeof value !== "bigint" || value <= 0n) throw new AppError("validation_failed", `${name} must be a positive bigint of minor units.`);
}

function checkBps(name: string, value: number): bigint {
  if (!Number.isInteger(value) || value < 0 || value > 10_000) {
    throw new AppError("validation_failed", `${name} must be an integer from 0 to 10000 basis points.`);
  }
  return BigInt(value);
}

/** Drops zero legs: a 0% fee or a 100% fee posts two legs instead of three. */
function legs(postings: PostingInput[]): PostingInput[] {
  return postings.filter((posting) => posting.amountMinor !== 0n);
}

export type PostOrderPaymentParameters = {
  orderId: string;
  shopId: bigint;
  amountMinor: bigint;
  currency: string;
  provider: OrderPaymentProvider;
  platformFeeBps: number;
  /** A sub-store agent's markup and referrers' commissions (api/ledger/distributionLegs.ts); platform-collected only. */
  distribution?: DistributionShares | null;
  /** A docked sale: the supplier's share moves to its payable in the same entry (api/ledger/dockingLegs.ts). */
  docking?: DockingShare;
};

export type PostOrderPaymentReturnType = { transactionId: bigint; created: boolean; feeMinor: bigint; shopMinor: bigint };

// Stryker disable all: reads/writes the database; covered by test/ledger/collectionModels.test.ts and journal.test.ts
/**
 * A buyer's payment for an order: the provider's clearing account is debited with the amount,
 * split atomically into the platform fee (floor of amount x bps / 10000) and the shop's payable.
 * Key: order:<orderId>:payment.
 */
export async function postOrderPayment(db: Drizzle, parameters: PostOrderPaymentParameters): Promise<PostOrderPaymentReturnType> {
  const { entry, feeMinor, shopMinor } = orderPaymentEntry(parameters);
  const result = await postJournal(db, entry);
  return { ...result, feeMinor, shopMinor };
}

// Stryker restore all
/**
 * The journal entry of postOrderPayment, for callers that post it inside a statement of their
 * own (the order flow's one-statement payment, api/services/orders/acceptPayment.ts).
 */
export function orderPaymentEntry(parameters: PostOrderPaymentParameters): { entry: JournalInput; feeMinor: bigint; shopMinor: bigint } {
  const { orderId, shopId, amountMinor, currency, provider } = parameters;
  checkAmount("amountMinor", amountMinor);
  const collection = collectionOf(provider);
  const feeMinor = (amountMinor * checkBps("platformFeeBps", parameters.platformFeeBps)) / basisPoints;
  const shopMinor = amountMinor - feeMinor;
  if (collection === "merchant") {
    if (parameters.docking) throw new AppError("docking_payment_method", "A docked product is sold only through the platform's payment (chain).");
    // The merchant holds the whole amount already: the sale is recorded as a memo pair that
    // nets to zero (clearing_merchant against the shop's collected), and the fee is owed by
    // the merchant. Nothing becomes payable, so nothing of it can be paid out.
    const entry: JournalInput = {
      idempotencyKey: `order:${orderId}:payment`,
      kind: "order_payment",
      reference: { type: "order", id: orderId },
      metadata: { provider, platformFeeBps: parameters.platformFeeBps, collection },
      postings: legs([
        { account: clearing(provider), amountMinor: -amountMinor, currency },
        { account: account("shop", shopId, "collected"), amountMinor, currency },
        { account: account("shop", shopId, "fee_receivable"), amountMinor: -feeMinor, currency },
        { account: platform("fees"), amountMinor: feeMinor, currency },
      ]),
    };
    return { entry, feeMinor, shopMinor };
  }
  // Platform-collected: the entry is exactly what it was before the collection models (same
  // metadata, same payload hash), so a retry of an entry posted earlier is still a retry. A
  // sale with distributors adds their legs, taken from the shop's share.
  const distribution = distributionPaymentLegs({ amountMinor, feeMinor, currency, shares: parameters.distribution ?? null });
  const entry: JournalInput = {
    idempotencyKey: `order:${orderId}:payment`,
    kind: "order_payment",
    reference: { type: "order", id: orderId },
    metadata: { provider, platformFeeBps: parameters.platformFeeBps },
    postings: legs([
      { account: clearing(provider), amountMinor: -amountMinor, currency },
      { account: platform("fees"), amountMinor: feeMinor, currency },
      { account: account("shop", shopId, "payable"), amountMinor: shopMinor - distribution.distributedMinor, currency },
      ...distribution.postings,
    ]),
  };
  // A docked sale then moves the supplier's share out of the selling shop's payable, in the same
  // entry; distributors' shares were already taken from it (docs/docking.md, docs/distribution.md).
  const sellingShopMinor = shopMinor - distribution.distributedMinor;
  if (parameters.docking) {
    const docked = withDockingLegs(entry, { resellerShopId: shopId, docking: parameters.docking, currency, platformFeeBps: parameters.platformFeeBps });
    return { entry: docked, feeMinor, shopMinor: sellingShopMinor };
  }
  return { entry, feeMinor, shopMinor: sellingShopMinor };
}

/**
 * A payment that cannot pay for its order (under, over, late, duplicate): it is owed back to the
 * buyer. Platform-collected, it moves from the provider's clearing account to the platform's
 * refunds account; merchant-collected, the merchant holds it and owes it back, so it is only
 * recorded as the shop's collected money (memo), never as the platform's debt.
 * Key: payment:<paymentId>:unmatched.
 */
export function unmatchedPaymentEntry(parameters: {
  paymentId: bigint;
  orderId: string;
  shopId: bigint;
  provider: OrderPaymentProvider;
  amountMinor: bigint;
  currency: string;
  outcome: string;
}): JournalInput {
  const { paymentId, orderId, shopId, provider, amountMinor, currency, outcome } = parameters;
  const merchant = collectionOf(provider) === "merchant";
  return {
    idempotencyKey: `payment:${paymentId}:unmatched`,
    kind: "unmatched_payment",
    reference: { type: "payment", id: String(paymentId) },
    postings: [
      { account: clearing(provider), amountMinor: -amountMinor, currency },
      { account: merchant ? account("shop", shopId, "collected") : platform("refunds"), amountMinor, currency },
    ],
    metadata: merchant ? { orderId, outcome, provider, collection: "merchant" } : { orderId, outcome, provider },
  };
}

export type PostOrderRefundParameters = {
  orderId: string;
  shopId: bigint;
  amountMinor: bigint;
  currency: string;
  reason: "expired" | "out_of_stock" | "dispute" | "merchant" | "group_expired" | "group_unseated" | "other";
  /** Distinguishes several partial refunds of one order; omit for the (single) full refund. */
  refundId?: string;
};

export type PostOrderRefundReturnType = { transactionId: bigint; created: boolean; feeRefundMinor: bigint; shopRefundMinor: bigint };

// Stryker disable all: reads/writes the database; covered by test/ledger/collectionModels.test.ts and journal.test.ts
type PaymentLegs = { provider: OrderPaymentProvider; clearing: AccountPurpose; paidMinor: bigint; feeMinor: bigint; refundedMinor: bigint };

async function orderPaymentLegs(db: Drizzle, orderId: string, shopId: bigint, currency: string): Promise<PaymentLegs> {
  // Found by reference and kind, not by key: the order flow posts payments under its own keys.
  // Entries posted before the collection models booked shop EPay payments to clearing_epay and
  // the payable: they are refunded the way they were posted (platform-collected).
  const payment = await queryOne<{
    clearing: AccountPurpose;
    provider: OrderPaymentProvider;
    paid: string;
    fee: string;
    shop_id: bigint | null;
    currency: string;
  }>(
    db,
    sql`SELECT min(a.purpose) FILTER (WHERE a.purpose LIKE 'clearing_%') AS clearing,
               CASE min(a.purpose) FILTER (WHERE a.purpose LIKE 'clearing_%') WHEN 'clearing_chain' THEN 'chain' WHEN 'clearing_balance' THEN 'balance' ELSE 'epay' END AS provider,
               (-sum(p.amount_minor) FILTER (WHERE a.purpose LIKE 'clearing_%'))::text AS paid,
               coalesce(sum(p.amount_minor) FILTER (WHERE a.purpose = 'fees'), 0)::text AS fee,
               -- A docked sale also credits its supplier's payable (api/ledger/dockingLegs.ts): the selling shop is the other one.
               max(a.owner_id) FILTER (WHERE a.owner_type = 'shop' AND a.owner_id::text IS DISTINCT FROM t.metadata->>'dockingSupplierShopId') AS shop_id,
               max(p.currency) AS currency
        FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE t.reference_type = 'order' AND t.reference_id = ${orderId} AND t.kind = 'order_payment'
        GROUP BY t.id ORDER BY t.id LIMIT 1`,
  );
  if (!payment) throw new AppError("invalid_state", `Order ${orderId} has no payment in the ledger; there is nothing to refund.`);
  if ((payment.shop_id !== null && payment.shop_id !== shopId) || payment.currency !== currency) {
    throw new AppError(
      "validation_failed",
      `Order ${orderId} was paid to another shop or in another currency; refund it in the shop and currency it was paid in.`,
    );
  }
  const refunded = await queryOne<{ total: string }>(
    db,
    sql`SELECT coalesce(sum(p.amount_minor), 0)::text AS total
        FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE t.reference_type = 'order' AND t.reference_id = ${orderId} AND t.kind = 'order_refund'
          AND a.owner_type = 'platform' AND a.purpose IN ('refunds', 'clearing_merchant')`,
  );
  return {
    provider: payment.provider,
    clearing: payment.clearing,
    paidMinor: BigInt(payment.paid),
    feeMinor: BigInt(payment.fee),
    refundedMinor: BigInt(refunded!.total),
  };
}

/**
 * Refunds (part of) a paid order: the shop's payable, its distributors, a docked sale's supplier
 * and the platform fee give back their shares to the platform's refunds account (every party but
 * the platform its cumulative floor, the fee the rest: api/ledger/refundRounding.ts), which
 * the payment provider pays back to the buyer. Refusals: no payment (invalid_state), more than what is left to refund
 * (invalid_state), the shop's payable already paid out (insufficient_funds).
 * Key: order:<orderId>:refund[:<refundId>].
 */
export async function postOrderRefund(db: Drizzle, parameters: PostOrderRefundParameters): Promise<PostOrderRefundReturnType> {
  checkAmount("amountMinor", parameters.amountMinor);
  // The order row is locked before what was refunded is read, to the end of the caller's
  // transaction (a savepoint's lock outlives it): two refunds of one order, side by side, never
  // both read the same total, so a sale's refunds never add up to more than its charge.
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT 1 FROM orders WHERE id = ${parameters.orderId} FOR UPDATE`);
    return postLockedOrderRefund(tx, parameters);
  });
}

async function postLockedOrderRefund(db: Drizzle, parameters: PostOrderRefundParameters): Promise<PostOrderRefundReturnType> {
  const { orderId, shopId, amountMinor, currency, reason } = parameters;
  const idempotencyKey = parameters.refundId ? `order:${orderId}:refund:${parameters.refundId}` : `order:${orderId}:refund`;
  const payment = await orderPaymentLegs(db, orderId, shopId, currency);
  const existing = await queryOne<{ id: bigint }>(db, sql`SELECT id FROM ledger_transactions WHERE idempotency_key = ${idempotencyKey}`);
  // A retry of a refund that was posted must not count itself against what is left to refund.
  const refundedBefore = existing ? payment.refundedMinor - amountMinor : payment.refundedMinor;
  if (refundedBefore + amountMinor > payment.paidMinor) {
    throw new AppError("invalid_state", `Order ${orderId} was paid ${payment.paidMinor} and refunded ${refundedBefore}; ${amountMinor} more is too much.`);
  }
  const share = { amountMinor, paidMinor: payment.paidMinor, refundedBeforeMinor: refundedBefore };
  if (payment.clearing === "clearing_merchant") {
    // The merchant pays the buyer back from its own gateway; the books undo the memo pair for
    // the amount and forgive the fee's share of the merchant's debt, rounded up (cumulative
    // ceilings: the platform absorbs the rounding, api/ledger/refundRounding.ts).
    const feeRefundMinor = cumulativeCeilShare(payment.feeMinor, share);
    const result = await postJournal(db, {
      idempotencyKey,
      kind: "order_refund",
      reference: { type: "order", id: orderId },
      metadata: { reason, amountMinor: Number(amountMinor), provider: payment.provider, collection: "merchant" },
      postings: legs([
        { account: account("shop", shopId, "collected"), amountMinor: -amountMinor, currency },
        { account: platform("clearing_merchant"), amountMinor, currency },
        { account: account("shop", shopId, "fee_receivable"), amountMinor: feeRefundMinor, currency },
        { account: platform("fees"), amountMinor: -feeRefundMinor, currency },
      ]),
    });
    return { ...result, feeRefundMinor, shopRefundMinor: amountMinor - feeRefundMinor };
  }
  // Distributors give back their shares of the refund (api/ledger/distributionLegs.ts).
  const distribution = await distributionRefundLegs(db, {
    orderId,
    idempotencyKey,
    currency,
    paidMinor: payment.paidMinor,
    refundedBeforeMinor: refundedBefore,
    amountMinor,
  });
  // A docked sale's supplier gives back its share of the refund (api/ledger/dockingLegs.ts).
  const docking = await dockingRefundLegs(db, {
    orderId,
    resellerShopId: shopId,
    amountMinor,
    paidMinor: payment.paidMinor,
    refundedBeforeMinor: refundedBefore,
    currency,
  });
  // The shop its own share (cumulative floor), the fee the rest: the platform absorbs the rounding.
  const { shopOwnBackMinor, feeBackMinor } = refundSplit({
    ...share,
    feeMinor: payment.feeMinor,
    distributorsCreditedMinor: distribution.creditedMinor,
    distributorsBackMinor: distribution.reversedMinor,
    supplierMinor: docking.supplierMinor,
    supplierBackMinor: docking.returnedMinor,
  });
  // The supplier's share comes back to the reseller's payable (docking legs), which passes it on.
  const shopRefundMinor = shopOwnBackMinor + docking.returnedMinor;
  const result = await postJournal(db, {
    idempotencyKey,
    kind: "order_refund",
    reference: { type: "order", id: orderId },
    metadata: { reason, amountMinor: Number(amountMinor), provider: payment.provider },
    postings: mergePostings([
      { account: account("shop", shopId, "payable"), amountMinor: -shopRefundMinor, currency },
      { account: platform("fees"), amountMinor: -feeBackMinor, currency },
      { account: platform("refunds"), amountMinor, currency },
      ...distribution.postings,
      ...docking.postings,
    ]),
  });
  return { ...result, feeRefundMinor: feeBackMinor, shopRefundMinor };
}

export type RequestPayoutParameters = {
  payoutId: string;
  shopId: bigint;
  amountMinor: bigint;
  currency: string;
  /** When an unapproved request expires and its amount returns to the payable. */
  expiresAt: Date;
};

export type RequestPayoutReturnType = { holdId: bigint; transactionId: bigint; created: boolean };

/**
 * A merchant's payout request: the amount moves from the shop's payable into its holds account
 * (pending) until an admin approves (posted to platform payouts) or rejects it, or it expires
 * (voided back to the payable). Beyond the payable: insufficient_funds. Key: payout:<id>:request.
 */
export async function requestPayout(db: Drizzle, parameters: RequestPayoutParameters): Promise<RequestPayoutReturnType> {
  const { payoutId, shopId, amountMinor, currency } = parameters;
  checkAmount("amountMinor", amountMinor);
  // A retried request (an HTTP client repeating its request id) computes a new expiry; the
  // request it repeats keeps its own, so the payloads compare equal when all else is equal.
  const existing = await queryOne<{ expires_at: string | Date | null }>(
    db,
    sql`SELECT expires_at FROM ledger_holds WHERE reference_type = 'payout' AND reference_id = ${payoutId}`,
  );
  // node-postgres returns timestamptz from raw queries as text.
  const expiresAt = existing?.expires_at ? new Date(existing.expires_at) : parameters.expiresAt;
  const holds = account("shop", shopId, "holds");
  const result = await postJournal(db, {
    idempotencyKey: `payout:${payoutId}:request`,
    kind: "payout_request",
    reference: { type: "payout", id: payoutId },
    postings: [
      { account: account("shop", shopId, "payable"), amountMinor: -amountMinor, currency },
      { account: holds, amountMinor, currency },
    ],
    hold: {
      holdingAccount: holds,
      postAccount: platform("payouts"),
      voidAccount: account("shop", shopId, "payable"),
      amountMinor,
      currency,
      expiresAt,
      expiryAction: "void",
    },
  });
  const holdId = await holdIdByReference(db, { type: "payout", id: payoutId });
  return { holdId, ...result };
}

/** An admin approves a payout: its hold is posted to platform payouts, once. */
export async function approvePayout(db: Drizzle, parameters: { payoutId: string; now?: Date }): Promise<ResolveHoldReturnType> {
  const holdId = await holdIdByReference(db, { type: "payout", id: parameters.payoutId });
  return resolveHold(db, { holdId, action: "post", now: parameters.now });
}

/** An admin rejects a payout: its hold is voided back to the shop's payable, once. */
export async function rejectPayout(db: Drizzle, parameters: { payoutId: string; now?: Date }): Promise<ResolveHoldReturnType> {
  const holdId = await holdIdByReference(db, { type: "payout", id: parameters.payoutId });
  return resolveHold(db, { holdId, action: "void", now: parameters.now });
}

export type PostResaleParameters = {
  listingId: string;
  sellerAccountId: bigint;
  buyerAccountId: bigint;
  shopId: bigint;
  priceMinor: bigint;
  currency: string;
  royaltyBps: number;
  platformFeeBps: number;
  /** End of the chargeback window: until then the seller's proceeds are held. */
  holdUntil?: Date;
};

export type PostResaleReturnType = {
  transactionId: bigint;
  created: boolean;
  feeMinor: bigint;
  royaltyMinor: bigint;
  proceedsMinor: bigint;
  holdId?: bigint;
};

/**
 * A resale of an entitlement: the buyer's payment is split atomically into the platform fee,
 * the merchant's royalty (to the shop's payable) and the seller's proceeds. With holdUntil the
 * proceeds wait in the seller's holds account and are released to the seller's proceeds when
 * the window ends (expireHolds), or returned to the buyer by chargebackResale.
 * Key: resale:<listingId>:sale.
 */
export async function postResale(db: Drizzle, parameters: PostResaleParameters): Promise<PostResaleReturnType> {
  const { listingId, sellerAccountId, buyerAccountId, shopId, priceMinor, currency, holdUntil } = parameters;
  const { feeMinor, royaltyMinor, proceedsMinor } = splitPrice(priceMinor, parameters);
  const sellerHolds = account("reseller", sellerAccountId, "holds");
  const held = holdUntil !== undefined && proceedsMinor > 0n;
  const result = await postJournal(db, {
    idempotencyKey: `resale:${listingId}:sale`,
    kind: "resale",
    reference: { type: "resale", id: listingId },
    metadata: { royaltyBps: parameters.royaltyBps, platformFeeBps: parameters.platformFeeBps },
    postings: legs([
      { account: account("buyer", buyerAccountId, "payments"), amountMinor: -priceMinor, currency },
      { account: platform("fees"), amountMinor: feeMinor, currency },
      { account: account("shop", shopId, "payable"), amountMinor: royaltyMinor, currency },
      { account: held ? sellerHolds : account("reseller", sellerAccountId, "proceeds"), amountMinor: proceedsMinor, currency },
    ]),
    ...(held
      ? {
          hold: {
            holdingAccount: sellerHolds,
            postAccount: account("reseller", sellerAccountId, "proceeds"),
            voidAccount: account("buyer", buyerAccountId, "refunds"),
            amountMinor: proceedsMinor,
            currency,
            expiresAt: holdUntil,
            expiryAction: "post" as const,
          },
        }
      : {}),
  });
  const holdId = held ? await holdIdByReference(db, { type: "resale", id: listingId }) : undefined;
  return { ...result, feeMinor, royaltyMinor, proceedsMinor, ...(holdId ? { holdId } : {}) };
}

/** The platform's fee, the merchant's royalty and the rest for the seller (or owner): rounding goes to the rest. */
function splitPrice(priceMinor: bigint, rates: { platformFeeBps: number; royaltyBps: number }) {
  checkAmount("priceMinor", priceMinor);
  const feeBps = checkBps("platformFeeBps", rates.platformFeeBps);
  const royaltyBps = checkBps("royaltyBps", rates.royaltyBps);
  if (feeBps + royaltyBps > basisPoints) throw new AppError("validation_failed", "Fee and royalty together exceed the price.");
  const feeMinor = (priceMinor * feeBps) / basisPoints;
  const royaltyMinor = (priceMinor * royaltyBps) / basisPoints;
  return { feeMinor, royaltyMinor, proceedsMinor: priceMinor - feeMinor - royaltyMinor };
}

export type PostRentalParameters = {
  rentalId: string;
  ownerAccountId: bigint;
  renterAccountId: bigint;
  shopId: bigint;
  priceMinor: bigint;
  currency: string;
  royaltyBps: number;
  platformFeeBps: number;
  /** End of the after-sales window of the product's category: until then both shares are held. */
  holdUntil: Date;
};

export type PostRentalReturnType = Omit<PostResaleReturnType, "holdId"> & { proceedsHoldId?: bigint; royaltyHoldId?: bigint };

/**
 * A settled rental, in one balanced transaction: the renter's payment is split into the
 * platform's fee, the merchant's royalty (the product's basis points, as for a resale) and the
 * owner's proceeds (the remainder, so rounding never loses a minor unit). Once per rental.
 *
 * Both shares wait out the after-sales window like a sale's and a resale's proceeds
 * (docs/rentals.md, "Ledger"): the owner's proceeds go to its holds account under the split's
 * own hold (released to its proceeds by the ledger's expiry sweep at `holdUntil`, or back to the
 * renter by a void), and the royalty credited to the shop's payable is moved at once, by a second
 * entry, into the shop's holds under a hold that posts it back to the payable at `holdUntil`.
 * The caller runs both in one database transaction, so a payout (which draws on the payable
 * under its row lock) never sees the royalty unheld. Keys: rental:<id>:split and
 * rental:<id>:royalty-hold.
 */
export async function postRental(db: Drizzle, parameters: PostRentalParameters): Promise<PostRentalReturnType> {
  const { rentalId, ownerAccountId, renterAccountId, shopId, priceMinor, currency, holdUntil } = parameters;
  const { feeMinor, royaltyMinor, proceedsMinor } = splitPrice(priceMinor, parameters);
  const ownerHolds = account("reseller", ownerAccountId, "holds");
  const ownerHeld = proceedsMinor > 0n;
  const reference = { type: "rental" as const, id: rentalId };
  const result = await postJournal(db, {
    idempotencyKey: `rental:${rentalId}:split`,
    kind: "rental",
    reference,
    metadata: { royaltyBps: parameters.royaltyBps, platformFeeBps: parameters.platformFeeBps },
    postings: legs([
      { account: account("buyer", renterAccountId, "payments"), amountMinor: -priceMinor, currency },
      { account: platform("fees"), amountMinor: feeMinor, currency },
      { account: account("shop", shopId, "payable"), amountMinor: royaltyMinor, currency },
      { account: ownerHeld ? ownerHolds : account("reseller", ownerAccountId, "proceeds"), amountMinor: proceedsMinor, currency },
    ]),
    ...(ownerHeld
      ? {
          hold: {
            holdingAccount: ownerHolds,
            postAccount: account("reseller", ownerAccountId, "proceeds"),
            voidAccount: account("buyer", renterAccountId, "refunds"),
            amountMinor: proceedsMinor,
            currency,
            expiresAt: holdUntil,
            expiryAction: "post" as const,
          },
        }
      : {}),
  });
  const proceedsHoldId = ownerHeld ? await holdIdByReference(db, reference) : undefined;
  let royaltyHoldId: bigint | undefined;
  if (royaltyMinor > 0n) {
    const payable = account("shop", shopId, "payable");
    const shopHolds = account("shop", shopId, "holds");
    const royaltyReference = { type: "hold" as const, id: `rental-royalty:${rentalId}` };
    await postJournal(db, {
      idempotencyKey: `rental:${rentalId}:royalty-hold`,
      kind: "rental_royalty_hold",
      reference: royaltyReference,
      metadata: { rentalId },
      postings: [
        { account: payable, amountMinor: -royaltyMinor, currency },
        { account: shopHolds, amountMinor: royaltyMinor, currency },
      ],
      hold: {
        holdingAccount: shopHolds,
        postAccount: payable,
        voidAccount: payable,
        amountMinor: royaltyMinor,
        currency,
        expiresAt: holdUntil,
        expiryAction: "post",
      },
    });
    royaltyHoldId = await holdIdByReference(db, royaltyReference);
  }
  return { ...result, feeMinor, royaltyMinor, proceedsMinor, ...(proceedsHoldId ? { proceedsHoldId } : {}), ...(royaltyHoldId ? { royaltyHoldId } : {}) };
}

/** A chargeback inside the window: the held proceeds go back to the buyer, once. */
export async function chargebackResale(db: Drizzle, parameters: { listingId: string; now?: Date }): Promise<ResolveHoldReturnType> {
  const holdId = await holdIdByReference(db, { type: "resale", id: parameters.listingId });
  return resolveHold(db, { holdId, action: "void", now: parameters.now });
}

/** Ledger accounts of an owner, for statements and tests. */
export async function accountsOf(db: Drizzle, owner: { ownerType: OwnerType; ownerId: bigint }) {
  return queryRows<{ id: bigint; purpose: AccountPurpose; currency: string; balance_minor: bigint }>(
    db,
    sql`SELECT id, purpose, currency, balance_minor FROM ledger_accounts
        WHERE owner_type = ${owner.ownerType} AND owner_id = ${owner.ownerId} ORDER BY purpose, currency`,
  );
}
// Stryker restore all
