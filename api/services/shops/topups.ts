// A merchant's top-up of its prepaid platform balance, the money its fees on its own gateway
// are settled from (docs/ledger.md, "Who holds the money"). The top-up must be money the
// platform itself received, never a notification the merchant could sign: it is paid through
// the platform's own EPay merchant (the one resale payments use, whose key only the platform
// holds), and its notification is checked under that key. Once paid, in one transaction, the
// top-up is marked paid (once per trade number), credited to the shop's prepaid balance and
// settled against the fees the shop owes.
import { AppError } from "../../../core/errors.ts";
import { postTopup, settleFeeReceivable } from "../../ledger/merchantFees.ts";
import type { EpayParams } from "../../payments/epay.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { pgErrorCode, pgErrorCodes } from "../../../core/store/errors.ts";
import { newOrderId } from "../orders/orderId.ts";
import { checkPlatformTopupNotification, platformEpayUrl, type ResaleEpayMerchant } from "../resale/resalePayments.ts";

/** EPay pays in yuan (two decimals), so top-ups through it are in CNY fen. */
export const topupCurrency = "CNY";

export type TopupRow = {
  id: string;
  shop_id: bigint;
  amount_minor: bigint;
  currency: string;
  state: "awaiting_payment" | "paid";
  provider_ref: string | null;
  created_at: string | Date;
  paid_at: string | Date | null;
};

export type TopupView = {
  id: string;
  shopId: string;
  amountMinor: string;
  currency: string;
  state: TopupRow["state"];
  createdAt: string;
  paidAt: string | null;
  /** Where the merchant pays, while the top-up awaits payment. */
  paymentUrl: string | null;
};

export async function createTopup(db: Drizzle, parameters: { shopId: bigint; amountMinor: bigint; currency: string; accountId: bigint }): Promise<TopupRow> {
  if (parameters.currency !== topupCurrency) {
    throw new AppError(
      "validation_failed",
      `Top-ups are paid through EPay, in ${topupCurrency} only; currency ${parameters.currency} cannot be topped up this way.`,
    );
  }
  const id = `TU${newOrderId().slice(2)}`;
  return (await queryOne<TopupRow>(
    db,
    sql`INSERT INTO shop_topups (id, shop_id, amount_minor, currency, created_by)
        VALUES (${id}, ${parameters.shopId}, ${parameters.amountMinor}, ${parameters.currency}, ${parameters.accountId})
        RETURNING *`,
  ))!;
}

/** A top-up by id; not_found when there is none. */
export async function loadTopup(db: Drizzle, topupId: string): Promise<TopupRow> {
  const row = await queryOne<TopupRow>(db, sql`SELECT * FROM shop_topups WHERE id = ${topupId}`);
  if (!row) throw new AppError("not_found", `No top-up ${topupId}.`);
  return row;
}

export function topupView(row: TopupRow, settings: { merchant: ResaleEpayMerchant; apiBaseUrl: string }): TopupView {
  return {
    id: row.id,
    shopId: String(row.shop_id),
    amountMinor: String(row.amount_minor),
    currency: row.currency,
    state: row.state,
    createdAt: new Date(row.created_at).toISOString(),
    paidAt: row.paid_at === null ? null : new Date(row.paid_at).toISOString(),
    paymentUrl:
      row.state === "awaiting_payment"
        ? platformEpayUrl(settings, {
            outTradeNo: row.id,
            notifyPath: "/api/ledger/topups/epay/notify",
            returnPath: "/merchant/money",
            name: `Keyledger prepaid top-up ${row.id}`,
            amountMinor: BigInt(row.amount_minor),
          })
        : null,
  };
}

export type TopupOutcome = "credited" | "replayed";

/**
 * The platform EPay merchant's notification for a top-up, checked like a sale's (pid, signature
 * under the platform's key, TRADE_SUCCESS, known top-up, exact amount): each failure a 4xx that
 * writes nothing. A second trade for a top-up already paid by another is refused (conflict) and
 * left to the platform's operators to refund through the gateway.
 */
export async function handleTopupNotify(
  db: Drizzle,
  settings: { merchant: ResaleEpayMerchant },
  params: EpayParams,
): Promise<{ outcome: TopupOutcome; topupId: string; settledMinor: bigint }> {
  const { tradeNo, topupId, amountMinor } = await checkPlatformTopupNotification(settings.merchant, params, (id) =>
    queryOne<TopupRow>(db, sql`SELECT * FROM shop_topups WHERE id = ${id}`),
  );
  try {
    return await db.transaction(async (tx) => {
      const paid = await queryOne<TopupRow>(
        tx,
        sql`UPDATE shop_topups SET state = 'paid', provider_ref = ${tradeNo}, paid_at = now()
            WHERE id = ${topupId} AND state = 'awaiting_payment' RETURNING *`,
      );
      if (!paid) {
        const current = await queryOne<{ provider_ref: string | null }>(tx, sql`SELECT provider_ref FROM shop_topups WHERE id = ${topupId}`);
        if (current?.provider_ref === tradeNo) return { outcome: "replayed" as const, topupId, settledMinor: 0n };
        throw new AppError("conflict", `Top-up ${topupId} was already paid by another trade; this one was not recorded.`);
      }
      const shopId = BigInt(paid.shop_id);
      await postTopup(tx, { topupId, shopId, amountMinor, currency: paid.currency, provider: "platform_epay" });
      const { settledMinor } = await settleFeeReceivable(tx, { shopId, currency: paid.currency });
      return { outcome: "credited" as const, topupId, settledMinor };
    });
  } catch (error) {
    // The same trade number already paid another top-up: a gateway (or a forger with the
    // platform's key) reusing it gets a 4xx, and nothing was written.
    if (pgErrorCode(error) === pgErrorCodes.uniqueViolation) throw new AppError("conflict", `trade_no ${tradeNo} already paid another top-up.`);
    throw error;
  }
}
