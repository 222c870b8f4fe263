// A key import's progress for its shop's merchant: processed / total, and once its batch exists,
// the batch's anchoring state, so the console can follow an import to its on-chain root.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { assertShopManager } from "../shops/shops.ts";

export type ImportProgress = {
  id: string;
  status: string;
  format: string;
  total: number;
  processed: number;
  percent: number;
  batchId: string | null;
  anchorState: string | null;
  anchorTx: string | null;
  error: unknown;
  createdAt: string;
  finishedAt: string | null;
};

type ImportRow = {
  shop_id: bigint;
  status: string;
  total: number;
  processed: number;
  batch_id: bigint | null;
  error: unknown;
  format: string;
  created_at: Date;
  finished_at: Date | null;
};

/** Not found for an unknown import; forbidden unless the account manages the import's shop. */
export async function getImportProgress(db: Drizzle, parameters: { importId: bigint; account: AuthenticatedAccount }): Promise<ImportProgress> {
  const row = await queryOne<ImportRow>(
    db,
    sql`SELECT shop_id, status, total, processed, batch_id, error, format, created_at, finished_at FROM imports WHERE id = ${parameters.importId}`,
  );
  if (!row) throw new AppError("not_found", `No import ${parameters.importId}.`);
  await assertShopManager(db, BigInt(row.shop_id), parameters.account);
  const batch = row.batch_id
    ? await queryOne<{ anchor_state: string; anchor_tx: string | null }>(db, sql`SELECT anchor_state, anchor_tx FROM batches WHERE id = ${row.batch_id}`)
    : undefined;
  return {
    id: String(parameters.importId),
    status: row.status,
    format: row.format,
    total: row.total,
    processed: row.processed,
    percent: row.total ? Math.floor((row.processed * 100) / row.total) : 0,
    batchId: row.batch_id === null ? null : String(row.batch_id),
    anchorState: batch?.anchor_state ?? null,
    anchorTx: batch?.anchor_tx ?? null,
    error: row.error ?? null,
    createdAt: new Date(row.created_at).toISOString(),
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
  };
}
