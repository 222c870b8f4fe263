// What a paid order's receipt says (docs/saas.md, "Receipts and tax"), gathered once and rendered
// as HTML or PDF (receiptHtml.ts, receiptPdf.ts): the seller (its verified legal name, else the
// shop's name), the order, its items and the price breakdown stored on it at checkout, the tax
// line (tax.ts) for the buyer's country, the total charged, the payment method and the chain
// references. The total is always what the buyer was charged: the pricing module owns the charge.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import type { OrderRecord } from "../orders/orderRecord.ts";
import { verifiedSellerName } from "../saas/kyc.ts";
import { taxOf, type TaxLine } from "./tax.ts";
import { assertCountryCode, taxRateFor } from "./taxRates.ts";
import type { DecimalsOf } from "./receiptText.ts";

export type ReceiptBreakdown = {
  listUnitPriceMinor: bigint;
  unitPriceMinor: bigint;
  quantity: number;
  subtotalMinor: bigint;
  discountMinor: bigint;
  levelName: string | null;
  couponCode: string | null;
};

export type Receipt = {
  orderId: string;
  sellerName: string;
  sellerVerified: boolean;
  shopName: string;
  createdAt: Date;
  paidAt: Date;
  currency: string;
  items: { name: string; quantity: number; unitPriceMinor: bigint; amountMinor: bigint }[];
  breakdown: ReceiptBreakdown;
  /** Null: no rate for the buyer's country, or no country known. */
  tax: (TaxLine & { configuredInclusive: boolean }) | null;
  totalMinor: bigint;
  /** Charged in another currency than the price's (docs/currencies.md): the price there and the rate the order recorded. */
  fx: { priceCurrency: string; priceTotalMinor: bigint; rate: string } | null;
  paymentMethod: "epay" | "chain";
  /** How many minor-unit digits each of its currencies has (moneyDecimals). */
  decimalsOf: DecimalsOf;
  chain: { tokenId: string | null; issueTx: string | null; batchId: string; anchorTx: string | null }[];
};

const paidStates = new Set(["paid", "fulfilled", "refund_pending", "refunded"]);

/** The breakdown stored on the order (orders.pricing), or one made of its columns for orders older than pricing. */
function breakdownOf(order: OrderRecord, pricing: Record<string, unknown> | null): ReceiptBreakdown {
  const minor = (value: unknown, fallback: bigint) => (value === undefined || value === null ? fallback : BigInt(value as string));
  const subtotal = order.unitPriceMinor * BigInt(order.quantity);
  return {
    listUnitPriceMinor: minor(pricing?.listUnitPriceMinor, order.unitPriceMinor),
    unitPriceMinor: minor(pricing?.unitPriceMinor, order.unitPriceMinor),
    quantity: order.quantity,
    subtotalMinor: minor(pricing?.subtotalMinor, subtotal),
    discountMinor: minor(pricing?.discountMinor, subtotal - order.amountMinor),
    levelName: ((pricing?.level as { name?: string } | null)?.name ?? null) as string | null,
    couponCode: ((pricing?.coupon as { code?: string } | null)?.code ?? null) as string | null,
  };
}

/**
 * The receipt of `order` (whose access the caller has checked). `country`: the buyer's country
 * (ISO 3166-1 alpha-2) when known; orders carry none, so it comes from the request.
 */
export async function buildReceipt(
  db: Drizzle,
  ring: MasterKeyRing,
  order: OrderRecord,
  country: string | undefined,
  decimalsOf: DecimalsOf,
): Promise<Receipt> {
  if (!paidStates.has(order.state) || !order.paidAt) {
    throw new AppError("invalid_state", `Order ${order.id} is not paid (${order.state}): a receipt exists once it is.`);
  }
  if (country !== undefined) assertCountryCode(country);
  const facts = await queryOne<{ shop_name: string; product_name: string; pricing: Record<string, unknown> | null }>(
    db,
    sql`SELECT s.name AS shop_name, p.name AS product_name, o.pricing FROM orders o JOIN shops s ON s.id = o.shop_id JOIN products p ON p.id = o.product_id WHERE o.id = ${order.id}`,
  );
  const legalName = await verifiedSellerName(db, ring, order.shopId);
  const chain = await queryRows<{ token_id: string | null; issue_tx: string | null; batch_id: string; anchor_tx: string | null }>(
    db,
    sql`SELECT e.token_id::text AS token_id, e.issue_tx, k.batch_id::text AS batch_id, b.anchor_tx
        FROM entitlements e JOIN keys k ON k.id = e.key_id JOIN batches b ON b.id = k.batch_id
        WHERE e.order_id = ${order.id} ORDER BY k.id`,
  );
  const rate = country ? await taxRateFor(db, order.shopId, country) : undefined;
  // The charge never includes a tax the pricing did not add, so an exclusive rate is shown as
  // the tax contained in what was charged (inclusive): the total stays what the buyer paid.
  const tax = rate ? { ...taxOf(order.amountMinor, { ...rate, inclusive: true }), configuredInclusive: rate.inclusive } : null;
  return {
    orderId: order.id,
    sellerName: legalName ?? facts!.shop_name,
    sellerVerified: legalName !== undefined,
    shopName: facts!.shop_name,
    createdAt: order.createdAt,
    paidAt: order.paidAt,
    currency: order.currency,
    items: [
      { name: facts!.product_name, quantity: order.quantity, unitPriceMinor: order.unitPriceMinor, amountMinor: order.unitPriceMinor * BigInt(order.quantity) },
    ],
    breakdown: breakdownOf(order, facts!.pricing),
    tax,
    totalMinor: order.amountMinor,
    fx:
      order.priceCurrency !== null && order.priceAmountMinor !== null && order.fxRate !== null
        ? { priceCurrency: order.priceCurrency, priceTotalMinor: order.priceAmountMinor, rate: order.fxRate }
        : null,
    paymentMethod: order.paymentMethod,
    decimalsOf,
    chain: chain.map((row) => ({ tokenId: row.token_id, issueTx: row.issue_tx, batchId: row.batch_id, anchorTx: row.anchor_tx })),
  };
}
