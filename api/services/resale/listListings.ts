// Active listings of a product with their provenance: the batch's anchor on-chain, the token's
// issuance, and how many times the entitlement changed hands (custodial resales recorded or
// queued, and moves between custody and wallets). Never the seller's identity, never a code.
// Keyset-paginated by listing id, bounded by RESALE_PAGE_SIZE_MAX.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type ListingView = {
  id: string;
  entitlementId: string;
  productId: string;
  priceMinor: string;
  currency: string;
  createdAt: string;
  provenance: {
    batchId: string;
    anchored: boolean;
    anchorTx: string | null;
    issued: boolean;
    tokenId: string | null;
    issueTx: string | null;
    transferCount: number;
  };
};

type Row = {
  id: bigint;
  entitlement_id: bigint;
  product_id: bigint;
  price_minor: bigint;
  currency: string;
  created_at: Date;
  batch_id: bigint;
  anchor_state: string;
  anchor_tx: string | null;
  token_id: string | null;
  issue_state: string;
  issue_tx: string | null;
  transfer_count: number;
};

export async function listListings(
  db: Drizzle,
  query: { productId: bigint; afterId?: bigint; limit: number },
): Promise<{ items: ListingView[]; nextCursor: string | null }> {
  const rows = await queryRows<Row>(
    db,
    sql`SELECT l.id, l.entitlement_id, l.product_id, l.price_minor, l.currency, l.created_at,
               e.batch_id, b.anchor_state, b.anchor_tx, e.token_id::text AS token_id, e.issue_state, e.issue_tx,
               ((SELECT count(*) FROM custodial_transfers c WHERE c.entitlement_id = e.id AND c.state <> 'skipped')
                + (SELECT count(*) FROM wallet_movements w WHERE w.entitlement_id = e.id AND w.state <> 'failed'))::int AS transfer_count
        FROM resale_listings l JOIN entitlements e ON e.id = l.entitlement_id JOIN batches b ON b.id = e.batch_id
        WHERE l.product_id = ${query.productId} AND l.state = 'active' AND l.id > ${query.afterId ?? 0n}
        ORDER BY l.id LIMIT ${query.limit}`,
  );
  const items = rows.map((row) => ({
    id: String(row.id),
    entitlementId: String(row.entitlement_id),
    productId: String(row.product_id),
    priceMinor: String(row.price_minor),
    currency: row.currency,
    createdAt: new Date(row.created_at).toISOString(),
    provenance: {
      batchId: String(row.batch_id),
      anchored: ["included", "confirmed"].includes(row.anchor_state),
      anchorTx: row.anchor_tx,
      issued: row.token_id !== null && ["included", "confirmed"].includes(row.issue_state),
      tokenId: row.token_id,
      issueTx: row.issue_tx,
      transferCount: row.transfer_count,
    },
  }));
  return { items, nextCursor: rows.length === query.limit ? String(rows[rows.length - 1]!.id) : null };
}
