// A buyer reads their own resale purchase; anyone else's is not found (not forbidden), so
// purchase ids cannot be probed.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { purchaseView, type ResalePurchase } from "./createPurchase.ts";
import type { ResaleEpayMerchant } from "./resalePayments.ts";

export async function getPurchase(
  db: Drizzle,
  settings: { merchant: ResaleEpayMerchant; apiBaseUrl: string },
  parameters: { purchaseId: string; buyerAccountId: bigint },
): Promise<ResalePurchase> {
  const row = await queryOne<Parameters<typeof purchaseView>[0]>(
    db,
    sql`SELECT * FROM resale_purchases WHERE id = ${parameters.purchaseId} AND buyer_account_id = ${parameters.buyerAccountId}`,
  );
  if (!row) throw new AppError("not_found", `You have no resale purchase ${parameters.purchaseId}.`);
  return purchaseView(row, settings);
}
