// Top-ups of a buyer's platform balance (ledger buyer/refunds), the balance automatic renewals
// are charged from (docs/subscriptions.md, "Top-ups of the balance"). The money must be money the
// platform itself received, so a top-up is paid through the platform's own EPay merchant (whose
// key only the platform holds, as for a shop's prepaid top-up) and credited only when that
// merchant's signed notification arrives: once per top-up and once per trade number. Starting a
// top-up takes the buyer's idempotency key: a retried request answers the same top-up.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { pgErrorCode, pgErrorCodes } from "../../../core/store/errors.ts";
import { postJournal } from "../../ledger/postJournal.ts";
import type { EpayParams } from "../../payments/epay.ts";
import { newOrderId } from "../orders/orderId.ts";
import { checkPlatformTopupNotification, platformEpayUrl, type ResaleEpayMerchant } from "../resale/resalePayments.ts";
import { topupCurrency } from "../shops/topups.ts";

export type BalanceTopupRow = {
  id: string;
  account_id: bigint;
  idempotency_key: string;
  amount_minor: bigint;
  currency: string;
  state: "awaiting_payment" | "paid";
  provider_ref: string | null;
  created_at: string | Date;
  paid_at: string | Date | null;
};

export type BalanceTopupView = {
  id: string;
  amountMinor: string;
  currency: string;
  state: BalanceTopupRow["state"];
  createdAt: string;
  paidAt: string | null;
  /** Where the buyer pays, while the top-up awaits payment. */
  paymentUrl: string | null;
};

export type BalanceView = { currency: string; balanceMinor: string };

export const balanceTopupNotifyPath = "/api/balance/topups/epay/notify";

/**
 * Starts a top-up, or answers the one this account started with the same idempotency key. The
 * key names one request: reusing it for another amount or currency is a conflict that writes
 * nothing (it would otherwise silently answer a top-up the buyer did not ask for).
 */
export async function startBalanceTopup(
  db: Drizzle,
  parameters: { accountId: bigint; amountMinor: bigint; currency: string; idempotencyKey: string },
): Promise<{ row: BalanceTopupRow; created: boolean }> {
  if (parameters.currency !== topupCurrency) {
    throw new AppError("validation_failed", `Balance top-ups are paid through EPay, in ${topupCurrency} only; ${parameters.currency} cannot be topped up.`);
  }
  const id = `BT${newOrderId().slice(2)}`;
  const inserted = await queryOne<BalanceTopupRow>(
    db,
    sql`INSERT INTO balance_topups (id, account_id, idempotency_key, amount_minor, currency)
        VALUES (${id}, ${parameters.accountId}, ${parameters.idempotencyKey}, ${parameters.amountMinor}, ${parameters.currency})
        ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING *`,
  );
  if (inserted) return { row: inserted, created: true };
  const existing = await queryOne<BalanceTopupRow>(
    db,
    sql`SELECT * FROM balance_topups WHERE account_id = ${parameters.accountId} AND idempotency_key = ${parameters.idempotencyKey}`,
  );
  if (!existing) throw new AppError("conflict", "The top-up with this idempotency key could not be read; retry the request.");
  if (BigInt(existing.amount_minor) !== parameters.amountMinor || existing.currency !== parameters.currency) {
    throw new AppError(
      "conflict",
      `Idempotency key already used for a top-up of ${existing.amount_minor} ${existing.currency} (minor units); use a new key for another amount.`,
    );
  }
  return { row: existing, created: false };
}

/** The account's own top-up; not_found for anyone else's (no hint that it exists). */
export async function loadMyBalanceTopup(db: Drizzle, accountId: bigint, topupId: string): Promise<BalanceTopupRow> {
  const row = await queryOne<BalanceTopupRow>(db, sql`SELECT * FROM balance_topups WHERE id = ${topupId} AND account_id = ${accountId}`);
  if (!row) throw new AppError("not_found", `No top-up ${topupId}.`);
  return row;
}

export function balanceTopupView(row: BalanceTopupRow, settings: { merchant: ResaleEpayMerchant; apiBaseUrl: string }): BalanceTopupView {
  return {
    id: row.id,
    amountMinor: String(row.amount_minor),
    currency: row.currency,
    state: row.state,
    createdAt: new Date(row.created_at).toISOString(),
    paidAt: row.paid_at === null ? null : new Date(row.paid_at).toISOString(),
    paymentUrl:
      row.state === "awaiting_payment"
        ? platformEpayUrl(settings, {
            outTradeNo: row.id,
            notifyPath: balanceTopupNotifyPath,
            returnPath: "/me/subscriptions",
            name: `Keyledger balance top-up ${row.id}`,
            amountMinor: BigInt(row.amount_minor),
          })
        : null,
  };
}

/** The account's platform balance per currency (buyer/refunds), the money renewals are charged from. */
export async function getMyBalance(db: Drizzle, accountId: bigint): Promise<BalanceView[]> {
  const rows = await queryRows<{ currency: string; balance_minor: string }>(
    db,
    sql`SELECT currency, balance_minor::text FROM ledger_accounts
        WHERE owner_type = 'buyer' AND owner_id = ${accountId} AND purpose = 'refunds' ORDER BY currency`,
  );
  return rows.map((row) => ({ currency: row.currency, balanceMinor: row.balance_minor }));
}

/**
 * The platform EPay merchant's notification for a balance top-up, checked like a shop top-up's
 * (pid, signature under the platform's key, TRADE_SUCCESS, known top-up, exact amount): each
 * failure a 4xx that writes nothing. In one transaction the top-up is marked paid (once) and the
 * journal moves the amount from platform/clearing_epay to the buyer's balance. A replay of the
 * same trade changes nothing; another trade for a paid top-up is refused (conflict).
 */
export async function handleBalanceTopupNotify(
  db: Drizzle,
  settings: { merchant: ResaleEpayMerchant },
  params: EpayParams,
): Promise<{ outcome: "credited" | "replayed"; topupId: string }> {
  const { tradeNo, topupId, amountMinor } = await checkPlatformTopupNotification(settings.merchant, params, (id) =>
    queryOne<BalanceTopupRow>(db, sql`SELECT * FROM balance_topups WHERE id = ${id}`),
  );
  try {
    return await db.transaction(async (tx) => {
      const locked = await queryOne<BalanceTopupRow>(tx, sql`SELECT * FROM balance_topups WHERE id = ${topupId} FOR UPDATE`);
      if (locked!.state === "paid") {
        if (locked!.provider_ref === tradeNo) return { outcome: "replayed" as const, topupId };
        throw new AppError("conflict", `Top-up ${topupId} was already paid by another trade; this one was not recorded.`);
      }
      const journal = await postJournal(tx, {
        idempotencyKey: `balance_topup:${topupId}:payment`,
        kind: "balance_topup",
        reference: { type: "topup", id: topupId },
        metadata: { provider: "platform_epay" },
        postings: [
          { account: { ownerType: "platform", ownerId: 0n, purpose: "clearing_epay" }, amountMinor: -amountMinor, currency: locked!.currency },
          { account: { ownerType: "buyer", ownerId: BigInt(locked!.account_id), purpose: "refunds" }, amountMinor, currency: locked!.currency },
        ],
      });
      await tx.execute(
        sql`UPDATE balance_topups SET state = 'paid', provider_ref = ${tradeNo}, paid_at = now(), ledger_tx_id = ${journal.transactionId}
            WHERE id = ${topupId}`,
      );
      return { outcome: "credited" as const, topupId };
    });
  } catch (error) {
    // The same trade number already paid another balance top-up: refused, nothing written.
    if (pgErrorCode(error) === pgErrorCodes.uniqueViolation) throw new AppError("conflict", `trade_no ${tradeNo} already paid another top-up.`);
    throw error;
  }
}
