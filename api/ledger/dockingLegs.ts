// The legs a docked sale adds to its one journal transaction (docs/docking.md, "The books").
//
// A reseller sells a supplier's key at its retail price A; the supplier's wholesale for the
// order is W (unit wholesale x quantity, fixed on the order at checkout). The sale's entry
// (orderPaymentEntry) already moves A from clearing into the platform fee F = floor(A x bps /
// 10000) and the selling shop's payable (A - F). The docking legs then move the supplier's
// share S from the reseller's payable to the supplier's payable, in the same transaction:
//
//   supplier fee  Fs = floor(W x bps / 10000)   (each party pays the fee on what it receives)
//   supplier      S  = W - Fs
//   reseller      A - F - S  = (A - W) - (F - Fs)  >= 0 whenever A > W (F - Fs <= ceil((A - W) x bps / 10000))
//
// The platform's fee stays F, exactly what a plain sale of A posts. A refund of `amount` gives
// back the supplier's share in proportion, as cumulative floors, so refunds that add up to the
// whole payment give back exactly S, and a full refund reverses every leg exactly.
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import type { AccountRef, JournalInput, PostingInput } from "./types.ts";

const basisPoints = 10_000n;

/** A docked order's supplier and the wholesale total the reseller owes it for the order. */
export type DockingShare = { supplierShopId: bigint; wholesaleMinor: bigint };

/** The supplier's fee and its share of a docked sale (the header's formulas). */
export function supplierShareOf(wholesaleMinor: bigint, platformFeeBps: number): { supplierFeeMinor: bigint; supplierMinor: bigint } {
  const supplierFeeMinor = (wholesaleMinor * BigInt(platformFeeBps)) / basisPoints;
  return { supplierFeeMinor, supplierMinor: wholesaleMinor - supplierFeeMinor };
}

/**
 * The sale's entry with the supplier's share moved from the reseller's payable to the
 * supplier's. Only platform-collected sales are docked (docs/docking.md): the platform holds
 * the money it credits to the supplier.
 */
export function withDockingLegs(
  entry: JournalInput,
  parameters: { resellerShopId: bigint; docking: DockingShare; currency: string; platformFeeBps: number },
): JournalInput {
  const { resellerShopId, docking, currency } = parameters;
  const { supplierMinor } = supplierShareOf(docking.wholesaleMinor, parameters.platformFeeBps);
  return {
    ...entry,
    metadata: { ...entry.metadata, dockingSupplierShopId: String(docking.supplierShopId), dockingWholesaleMinor: String(docking.wholesaleMinor) },
    postings: mergePostings([...entry.postings, ...transferLegs(resellerShopId, docking.supplierShopId, supplierMinor, currency)]),
  };
}

/**
 * The docking legs of a refund of `amountMinor` out of `paidMinor`, after `refundedBeforeMinor`
 * was refunded: the supplier gives back its share of this refund, which returns to the
 * reseller's payable (from which the refund entry takes the whole shop share). None for a
 * sale that was not docked.
 */
// Stryker disable all: reads the database (dockedPayment); covered by test/docking/dockedSale.test.ts; the share is supplierRefundShare's
export async function dockingRefundLegs(
  db: Drizzle,
  parameters: { orderId: string; resellerShopId: bigint; amountMinor: bigint; paidMinor: bigint; refundedBeforeMinor: bigint; currency: string },
): Promise<{ postings: PostingInput[]; supplierMinor: bigint; returnedMinor: bigint }> {
  const docked = await dockedPayment(db, parameters.orderId);
  if (!docked) return { postings: [], supplierMinor: 0n, returnedMinor: 0n };
  const returnedMinor = supplierRefundShare(docked.supplierMinor, parameters);
  return {
    postings: transferLegs(docked.supplierShopId, parameters.resellerShopId, returnedMinor, parameters.currency),
    supplierMinor: docked.supplierMinor,
    returnedMinor,
  };
}
// Stryker restore all

/**
 * What the supplier gives back of its share S for a refund of `amountMinor` out of `paidMinor`:
 * cumulative floors, floor(S x (before + amount) / paid) - floor(S x before / paid), so refunds
 * that add up to the payment give back exactly S.
 */
export function supplierRefundShare(supplierMinor: bigint, refund: { amountMinor: bigint; paidMinor: bigint; refundedBeforeMinor: bigint }): bigint {
  const shareUpTo = (refundedMinor: bigint) => (supplierMinor * refundedMinor) / refund.paidMinor;
  return shareUpTo(refund.refundedBeforeMinor + refund.amountMinor) - shareUpTo(refund.refundedBeforeMinor);
}

/** The supplier and what its payable received in the order's payment entry (the journal is the record). */
// Stryker disable all: reads the database; covered by test/docking/dockedSale.test.ts
async function dockedPayment(db: Drizzle, orderId: string): Promise<{ supplierShopId: bigint; supplierMinor: bigint } | undefined> {
  const row = await queryOne<{ supplier_shop_id: string; supplier_minor: string }>(
    db,
    sql`SELECT t.metadata->>'dockingSupplierShopId' AS supplier_shop_id, p.amount_minor::text AS supplier_minor
        FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE t.reference_type = 'order' AND t.reference_id = ${orderId} AND t.kind = 'order_payment'
          AND t.metadata ? 'dockingSupplierShopId'
          AND a.owner_type = 'shop' AND a.purpose = 'payable' AND a.owner_id::text = t.metadata->>'dockingSupplierShopId'
        ORDER BY t.id LIMIT 1`,
  );
  return row ? { supplierShopId: BigInt(row.supplier_shop_id), supplierMinor: BigInt(row.supplier_minor) } : undefined;
}
// Stryker restore all

function transferLegs(fromShopId: bigint, toShopId: bigint, amountMinor: bigint, currency: string): PostingInput[] {
  return [
    { account: payable(fromShopId), amountMinor: -amountMinor, currency },
    { account: payable(toShopId), amountMinor, currency },
  ];
}

function payable(shopId: bigint): AccountRef {
  return { ownerType: "shop", ownerId: shopId, purpose: "payable" };
}

/**
 * One posting per account and currency (the journal keys postings by transaction and account),
 * in first-seen order, without the legs that net to zero.
 */
export function mergePostings(postings: readonly PostingInput[]): PostingInput[] {
  const merged = new Map<string, PostingInput>();
  for (const posting of postings) {
    const key = `${accountKey(posting.account)}|${posting.currency}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, amountMinor: seen.amountMinor + posting.amountMinor } : { ...posting });
  }
  return [...merged.values()].filter((posting) => posting.amountMinor !== 0n);
}

function accountKey(account: AccountRef): string {
  return typeof account === "bigint" ? `id:${account}` : `${account.ownerType}:${account.ownerId}:${account.purpose}`;
}
