import type { DockingShare } from "../../ledger/dockingLegs.ts";
import { formatRate, parseRate } from "../../../core/money/fx.ts";
import { queryPreparedOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { sharesFromJson, type DistributionShares, type DistributionSharesJson } from "../../ledger/distributionLegs.ts";

export type OrderState = "awaiting_payment" | "paid" | "fulfilled" | "expired" | "refund_pending" | "refunded" | "failed";

export type OrderRecord = {
  id: string;
  shopId: bigint;
  productId: bigint;
  buyerAccountId: bigint | null;
  contact: string | null;
  queryPasswordHash: Buffer | null;
  quantity: number;
  unitPriceMinor: bigint;
  amountMinor: bigint;
  currency: string;
  state: OrderState;
  paymentMethod: "epay" | "chain";
  expiresAt: Date;
  paidAt: Date | null;
  fulfilledAt: Date | null;
  refundReason: string | null;
  createdAt: Date;
  /** Raised when the order's access is revoked; access tokens name the generation they were issued under. */
  accessGeneration: number;
  /** What the sale owes a sub-store agent and referrers (docs/distribution.md), decided at checkout. */
  distribution: DistributionShares | null;
  /** A docked sale (docs/docking.md): the supplier whose key is sold and the wholesale total owed to it. */
  docking: DockingShare | null;
  /** The fee rate fixed when the order was created (its shop's plan then; null: the platform default). docs/saas.md */
  platformFeeBps: number | null;
  /** Charged in another currency than the product's (docs/currencies.md): the price in the product's currency and the rate; else null. */
  priceCurrency: string | null;
  priceAmountMinor: bigint | null;
  fxRate: string | null;
};

export type OrderRow = {
  id: string;
  shop_id: bigint;
  product_id: bigint;
  buyer_account_id: bigint | null;
  contact: string | null;
  query_password_hash: Buffer | null;
  quantity: number;
  unit_price_minor: bigint;
  amount_minor: bigint;
  currency: string;
  state: OrderState;
  payment_method: "epay" | "chain";
  expires_at: Date;
  paid_at: Date | null;
  fulfilled_at: Date | null;
  refund_reason: string | null;
  created_at: Date;
  access_generation: number;
  pricing?: { distribution?: DistributionSharesJson } | null;
  supplier_shop_id?: bigint | string | null;
  wholesale_minor?: bigint | string | null;
  platform_fee_bps?: number | null;
  price_currency?: string | null;
  price_amount_minor?: bigint | string | null;
  fx_rate?: string | null;
};

export function orderRecord(row: OrderRow): OrderRecord {
  return {
    id: row.id,
    shopId: BigInt(row.shop_id),
    productId: BigInt(row.product_id),
    buyerAccountId: row.buyer_account_id === null ? null : BigInt(row.buyer_account_id),
    contact: row.contact,
    queryPasswordHash: row.query_password_hash ? Buffer.from(row.query_password_hash) : null,
    quantity: row.quantity,
    unitPriceMinor: BigInt(row.unit_price_minor),
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    state: row.state,
    paymentMethod: row.payment_method,
    expiresAt: new Date(row.expires_at),
    paidAt: row.paid_at ? new Date(row.paid_at) : null,
    fulfilledAt: row.fulfilled_at ? new Date(row.fulfilled_at) : null,
    refundReason: row.refund_reason,
    createdAt: new Date(row.created_at),
    accessGeneration: Number(row.access_generation ?? 0),
    distribution: sharesFromJson(row.pricing?.distribution),
    docking:
      row.supplier_shop_id === null || row.supplier_shop_id === undefined
        ? null
        : { supplierShopId: BigInt(row.supplier_shop_id), wholesaleMinor: BigInt(row.wholesale_minor!) },
    platformFeeBps: row.platform_fee_bps === null || row.platform_fee_bps === undefined ? null : Number(row.platform_fee_bps),
    priceCurrency: row.price_currency ?? null,
    priceAmountMinor: row.price_amount_minor === null || row.price_amount_minor === undefined ? null : BigInt(row.price_amount_minor),
    fxRate: row.fx_rate === null || row.fx_rate === undefined ? null : formatRate(parseRate(String(row.fx_rate))!),
  };
}

/** The sale's fee rate: the one fixed on the order at its creation, else (older orders, free plan) the platform default. */
export function feeBpsOf(order: OrderRecord, settings: { platformFeeBps: number }): number {
  return order.platformFeeBps ?? settings.platformFeeBps;
}

export async function getOrderRecord(db: Drizzle, orderId: string): Promise<OrderRecord | undefined> {
  const row = await queryPreparedOne<OrderRow>(db, "order_by_id", sql`SELECT * FROM orders WHERE id = ${orderId}`);
  return row ? orderRecord(row) : undefined;
}
