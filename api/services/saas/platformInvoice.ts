// The monthly platform invoice of a shop (docs/saas.md, "Plans and fees"), computed from the
// ledger alone: the platform fee postings (platform/fees) of the journal transactions that
// reference the shop's orders, posted in that calendar month (UTC), per currency. Sales add
// fees, refunds give their share back; merchant-collected fees are owed (the fee receivable),
// platform-collected ones were withheld from the payable when the sale was posted.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type InvoiceLine = {
  currency: string;
  collection: "platform" | "merchant";
  salesMinor: string;
  sales: number;
  feesMinor: string;
  refundedFeesMinor: string;
  netFeesMinor: string;
};
export type PlatformInvoice = { shopId: string; month: string; from: string; to: string; lines: InvoiceLine[] };

export async function platformInvoice(db: Drizzle, shopId: bigint, month: string): Promise<PlatformInvoice> {
  const from = new Date(`${month}-01T00:00:00.000Z`);
  const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  const rows = await queryRows<{ currency: string; collection: string; kind: string; fees: string; sales: string; amount: string }>(
    db,
    sql`SELECT f.currency, coalesce(t.metadata->>'collection', 'platform') AS collection, t.kind,
               sum(f.amount_minor) AS fees, count(*) AS sales,
               coalesce(sum(o.amount_minor) FILTER (WHERE t.kind = 'order_payment'), 0) AS amount
        FROM ledger_transactions t
        JOIN orders o ON t.reference_type = 'order' AND o.id = t.reference_id AND o.shop_id = ${shopId}
        JOIN ledger_postings f ON f.tx_id = t.id
        JOIN ledger_accounts a ON a.id = f.account_id AND a.owner_type = 'platform' AND a.purpose = 'fees'
        WHERE t.created_at >= ${from} AND t.created_at < ${to}
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  );
  const lines = new Map<string, InvoiceLine>();
  for (const row of rows) {
    const collection = row.collection === "merchant" ? "merchant" : "platform";
    const key = `${row.currency}|${collection}`;
    const line = lines.get(key) ?? { currency: row.currency, collection, salesMinor: "0", sales: 0, feesMinor: "0", refundedFeesMinor: "0", netFeesMinor: "0" };
    const fees = BigInt(row.fees);
    if (row.kind === "order_payment") {
      line.feesMinor = String(BigInt(line.feesMinor) + fees);
      line.salesMinor = String(BigInt(line.salesMinor) + BigInt(row.amount));
      line.sales += Number(row.sales);
    } else {
      line.refundedFeesMinor = String(BigInt(line.refundedFeesMinor) - fees);
    }
    line.netFeesMinor = String(BigInt(line.netFeesMinor) + fees);
    lines.set(key, line);
  }
  return { shopId: String(shopId), month, from: from.toISOString(), to: to.toISOString(), lines: [...lines.values()] };
}
