// The merchant-collected model's side of the books (docs/ledger.md, "Who holds the money"): a
// shop selling on its own EPay gateway keeps the money and owes the platform its fee
// (shop/fee_receivable, a debit balance); it pays in advance into a prepaid balance
// (shop/prepaid, never negative) with a top-up the platform collects; settlement moves prepaid
// money onto the receivable; checkout on the shop's own gateway stops once the unpaid fees
// exceed the prepaid balance by more than the configured credit.
import { AppError } from "../../core/errors.ts";
import { queryOne, queryPreparedOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { postJournal } from "./postJournal.ts";
import type { AccountRef } from "./types.ts";

/** How a top-up reached the platform: its own EPay merchant or the PaymentRouter (both platform-collected). */
export type TopupProvider = "platform_epay" | "chain";

export type FeePosition = {
  currency: string;
  /** Platform fees the merchant owes (the receivable's debit balance, as a positive number). */
  owedMinor: bigint;
  /** What the merchant paid in advance and has not been settled against fees yet. */
  prepaidMinor: bigint;
  /** Memo: what the shop took on its own gateway (never payable). */
  collectedMinor: bigint;
};

function shopAccount(shopId: bigint, purpose: "prepaid" | "fee_receivable"): AccountRef {
  return { ownerType: "shop", ownerId: shopId, purpose };
}

/** A shop's fee positions, one per currency it has any of the three accounts in. */
export async function getFeePositions(db: Drizzle, parameters: { shopId: bigint }): Promise<FeePosition[]> {
  const rows = await queryRows<{ currency: string; owed: string; prepaid: string; collected: string }>(
    db,
    sql`SELECT currency,
               (-coalesce(sum(balance_minor) FILTER (WHERE purpose = 'fee_receivable'), 0))::text AS owed,
               coalesce(sum(balance_minor) FILTER (WHERE purpose = 'prepaid'), 0)::text AS prepaid,
               coalesce(sum(balance_minor) FILTER (WHERE purpose = 'collected'), 0)::text AS collected
        FROM ledger_accounts
        WHERE owner_type = 'shop' AND owner_id = ${parameters.shopId} AND purpose IN ('fee_receivable', 'prepaid', 'collected')
        GROUP BY currency ORDER BY currency`,
  );
  return rows.map((row) => ({ currency: row.currency, owedMinor: BigInt(row.owed), prepaidMinor: BigInt(row.prepaid), collectedMinor: BigInt(row.collected) }));
}

/**
 * Refuses a checkout on the shop's own gateway (fee_balance_exhausted, a 409) while the fees it
 * owes exceed its prepaid balance by more than `creditLimitMinor`. The fee of the sale being
 * checked out is not counted: the limit is on what is already unpaid, so one sale may take the
 * shop past it, and the next is refused.
 */
export async function assertFeeCreditAvailable(db: Drizzle, parameters: { shopId: bigint; currency: string; creditLimitMinor: bigint }): Promise<void> {
  // Prepared: every checkout on a shop's own gateway reads it.
  const row = await queryPreparedOne<{ owed: string; prepaid: string }>(
    db,
    "shop_fee_credit",
    sql`SELECT (-coalesce(sum(balance_minor) FILTER (WHERE purpose = 'fee_receivable'), 0))::text AS owed,
               coalesce(sum(balance_minor) FILTER (WHERE purpose = 'prepaid'), 0)::text AS prepaid
        FROM ledger_accounts
        WHERE owner_type = 'shop' AND owner_id = ${parameters.shopId} AND currency = ${parameters.currency}
          AND purpose IN ('fee_receivable', 'prepaid')`,
  );
  const unpaidMinor = BigInt(row?.owed ?? "0") - BigInt(row?.prepaid ?? "0");
  if (unpaidMinor > parameters.creditLimitMinor) {
    throw new AppError(
      "fee_balance_exhausted",
      "This shop cannot take payments on its own gateway right now: its platform fees are unpaid. Try again later or ask the merchant.",
      { details: { shopId: String(parameters.shopId), currency: parameters.currency } },
    );
  }
}

/**
 * A merchant's top-up, collected by the platform: the platform's clearing account for the
 * provider is debited, the shop's prepaid balance credited. Key: topup:<topupId>:payment.
 */
export async function postTopup(
  db: Drizzle,
  parameters: { topupId: string; shopId: bigint; amountMinor: bigint; currency: string; provider: TopupProvider },
): Promise<{ transactionId: bigint; created: boolean }> {
  const { topupId, shopId, amountMinor, currency, provider } = parameters;
  if (amountMinor <= 0n) throw new AppError("validation_failed", "amountMinor must be positive.");
  return postJournal(db, {
    idempotencyKey: `topup:${topupId}:payment`,
    kind: "prepaid_topup",
    reference: { type: "topup", id: topupId },
    metadata: { provider },
    postings: [
      {
        account: { ownerType: "platform", ownerId: 0n, purpose: provider === "chain" ? "clearing_chain" : "clearing_epay" },
        amountMinor: -amountMinor,
        currency,
      },
      { account: shopAccount(shopId, "prepaid"), amountMinor, currency },
    ],
  });
}

/**
 * Settles what the shop owes in fees from its prepaid balance, as far as the balance goes: one
 * journal transaction moving min(prepaid, owed) from prepaid onto the receivable. The two
 * accounts are locked in id order first (the posting function's order, so no deadlock with
 * it), so concurrent settlements of one shop run one after the other and never settle the
 * same money twice. The n-th settlement of a shop and currency has key settlement:<shop>:<currency>:<n>.
 */
export async function settleFeeReceivable(db: Drizzle, parameters: { shopId: bigint; currency: string }): Promise<{ settledMinor: bigint }> {
  const { shopId, currency } = parameters;
  return db.transaction(async (tx) => {
    const accounts = await queryRows<{ purpose: string; balance_minor: string }>(
      tx,
      sql`SELECT purpose, balance_minor::text FROM ledger_accounts
          WHERE owner_type = 'shop' AND owner_id = ${shopId} AND currency = ${currency} AND purpose IN ('fee_receivable', 'prepaid')
          ORDER BY id FOR UPDATE`,
    );
    const balance = (purpose: string) => BigInt(accounts.find((row) => row.purpose === purpose)?.balance_minor ?? "0");
    const owedMinor = -balance("fee_receivable");
    const prepaidMinor = balance("prepaid");
    // biome-ignore lint/complexity/useMathMinMax: bigint amounts; Math.min does not accept BigInt
    const settledMinor = owedMinor < prepaidMinor ? owedMinor : prepaidMinor;
    if (settledMinor <= 0n) return { settledMinor: 0n };
    const reference = `${shopId}:${currency}`;
    const previous = await queryOne<{ n: string }>(
      tx,
      sql`SELECT count(*)::text AS n FROM ledger_transactions WHERE reference_type = 'settlement' AND reference_id = ${reference}`,
    );
    await postJournal(tx, {
      idempotencyKey: `settlement:${reference}:${BigInt(previous!.n) + 1n}`,
      kind: "fee_settlement",
      reference: { type: "settlement", id: reference },
      postings: [
        { account: shopAccount(shopId, "prepaid"), amountMinor: -settledMinor, currency },
        { account: shopAccount(shopId, "fee_receivable"), amountMinor: settledMinor, currency },
      ],
    });
    return { settledMinor };
  });
}

/** The maintenance sweep: settles every shop that owes fees and has prepaid money, up to `limit` of them. */
export async function settleFeeReceivables(db: Drizzle, options: { limit: number }): Promise<number> {
  const due = await queryRows<{ owner_id: bigint; currency: string }>(
    db,
    sql`SELECT r.owner_id, r.currency FROM ledger_accounts r
        JOIN ledger_accounts p ON p.owner_type = 'shop' AND p.owner_id = r.owner_id AND p.currency = r.currency AND p.purpose = 'prepaid'
        WHERE r.owner_type = 'shop' AND r.purpose = 'fee_receivable' AND r.balance_minor < 0 AND p.balance_minor > 0
        ORDER BY r.owner_id, r.currency LIMIT ${options.limit}`,
  );
  for (const row of due) await settleFeeReceivable(db, { shopId: BigInt(row.owner_id), currency: row.currency });
  return due.length;
}
