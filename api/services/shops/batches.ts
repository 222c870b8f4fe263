// Batches as the merchant and auditors see them: size, root, anchoring state and transaction.
import { byteaHex } from "../../../core/store/byteStrings.ts";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type BatchView = {
  id: string;
  productId: string;
  keyCount: number;
  root: string | null;
  anchorState: string;
  anchorTx: string | null;
  anchorBlock: string | null;
  anchoredAt: string | null;
  createdAt: string;
  sold: number;
  available: number;
};

export async function listBatches(db: Drizzle, filter: { shopId?: bigint; limit: number; beforeId?: bigint }): Promise<BatchView[]> {
  const rows = await queryRows<{
    id: bigint;
    product_id: bigint;
    key_count: number;
    root: Buffer | null;
    anchor_state: string;
    anchor_tx: string | null;
    anchor_block: bigint | null;
    anchored_at: Date | null;
    created_at: Date;
    sold: string | number;
    available: string | number;
  }>(
    db,
    // Counts kept by triggers on keys (batch_stock, migration 0340): a page costs the same
    // whatever the batches hold, where counting read every key of every listed batch.
    sql`SELECT b.*, coalesce(s.sold, 0) AS sold, coalesce(s.available, 0) AS available
        FROM batches b LEFT JOIN batch_stock s ON s.batch_id = b.id WHERE true
        ${filter.shopId !== undefined ? sql`AND b.shop_id = ${filter.shopId}` : sql``}
        ${filter.beforeId !== undefined ? sql`AND b.id < ${filter.beforeId}` : sql``}
        ORDER BY b.id DESC LIMIT ${filter.limit}`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    productId: String(row.product_id),
    keyCount: row.key_count,
    root: row.root ? byteaHex(row.root) : null,
    anchorState: row.anchor_state,
    anchorTx: row.anchor_tx,
    anchorBlock: row.anchor_block === null ? null : String(row.anchor_block),
    anchoredAt: row.anchored_at ? new Date(row.anchored_at).toISOString() : null,
    createdAt: new Date(row.created_at).toISOString(),
    sold: Number(row.sold),
    available: Number(row.available),
  }));
}
