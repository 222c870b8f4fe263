// What merchants and auditors read: balances, pending holds, paginated statements, the trial
// balance, any account's history, and the anchors with the transactions they cover. Pages
// are keyset-paginated on the journal id (newest first) and bounded.
import { AppError } from "../../core/errors.ts";
import { byteaHex } from "../../core/store/byteStrings.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";

// A statement page is read and rendered at once; beyond this a client pages on.
export const statementPageSizeMax = 200;

function pageSize(limit: number | undefined): number {
  const size = limit ?? 50;
  if (!Number.isInteger(size) || size < 1 || size > statementPageSizeMax) {
    throw new AppError("validation_failed", `limit must be an integer from 1 to ${statementPageSizeMax}.`);
  }
  return size;
}

export type ShopBalance = { currency: string; availableMinor: bigint; heldMinor: bigint };

/** A shop's payable (available for payout) and the part held by pending payout requests. */
export async function getShopBalance(db: Drizzle, parameters: { shopId: bigint }): Promise<ShopBalance[]> {
  const rows = await queryRows<{ currency: string; available: bigint; held: bigint }>(
    db,
    sql`SELECT currency,
               coalesce(sum(balance_minor) FILTER (WHERE purpose = 'payable'), 0)::bigint AS available,
               coalesce(sum(balance_minor) FILTER (WHERE purpose = 'holds'), 0)::bigint AS held
        FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${parameters.shopId}
        GROUP BY currency ORDER BY currency`,
  );
  return rows.map((row) => ({ currency: row.currency, availableMinor: BigInt(row.available), heldMinor: BigInt(row.held) }));
}

export type PendingHold = {
  holdId: bigint;
  referenceType: string;
  referenceId: string;
  amountMinor: bigint;
  currency: string;
  expiresAt: Date | null;
  createdAt: Date;
};

/** Holds still pending on an owner's holds accounts (payout requests, resale proceeds). */
export async function listPendingHolds(db: Drizzle, parameters: { ownerType: "shop" | "reseller"; ownerId: bigint }): Promise<PendingHold[]> {
  const rows = await queryRows<{
    id: bigint;
    reference_type: string;
    reference_id: string;
    amount_minor: bigint;
    currency: string;
    expires_at: string | Date | null;
    created_at: string | Date;
  }>(
    db,
    sql`SELECT h.id, h.reference_type, h.reference_id, h.amount_minor, h.currency, h.expires_at, h.created_at
        FROM ledger_holds h JOIN ledger_accounts a ON a.id = h.holding_account_id
        WHERE a.owner_type = ${parameters.ownerType} AND a.owner_id = ${parameters.ownerId} AND h.state = 'pending'
        ORDER BY h.id LIMIT ${statementPageSizeMax}`,
  );
  return rows.map((row) => ({
    holdId: row.id,
    referenceType: row.reference_type,
    referenceId: row.reference_id,
    amountMinor: row.amount_minor,
    currency: row.currency,
    // node-postgres returns timestamptz from raw queries as text.
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    createdAt: new Date(row.created_at),
  }));
}

export type StatementLine = {
  transactionId: bigint;
  kind: string;
  referenceType: string;
  referenceId: string;
  amountMinor: bigint;
  balanceAfterMinor: bigint;
  createdAt: Date;
};

export type StatementPage = { accountId: bigint; currency: string; balanceMinor: bigint; lines: StatementLine[]; nextCursor: string | null };

/** Any account's postings, newest first, with the balance after each. */
export async function getAccountHistory(db: Drizzle, parameters: { accountId: bigint; cursor?: string; limit?: number }): Promise<StatementPage> {
  const limit = pageSize(parameters.limit);
  const before = parameters.cursor === undefined ? undefined : parseCursor(parameters.cursor);
  const account = await queryOne<{ id: bigint; currency: string; balance_minor: bigint }>(
    db,
    sql`SELECT id, currency, balance_minor FROM ledger_accounts WHERE id = ${parameters.accountId}`,
  );
  if (!account) throw new AppError("not_found", `Ledger account ${parameters.accountId} does not exist.`);
  // The balance after a line is the current balance minus everything posted after it: summed
  // once for the page (what is newer than its newest line) plus the page's own newer lines, not
  // once per line (which read every later posting again for each line of a deep page).
  const rows = await queryRows<{
    tx_id: bigint;
    kind: string;
    reference_type: string;
    reference_id: string;
    amount_minor: bigint;
    later: string;
    created_at: string | Date;
  }>(
    db,
    sql`WITH page AS (
          SELECT p.tx_id, p.amount_minor FROM ledger_postings p
          WHERE p.account_id = ${account.id} ${before === undefined ? sql`` : sql`AND p.tx_id < ${before}`}
          ORDER BY p.tx_id DESC LIMIT ${limit})
        SELECT page.tx_id, t.kind, t.reference_type, t.reference_id, page.amount_minor, t.created_at,
               (coalesce((SELECT sum(q.amount_minor) FROM ledger_postings q
                          WHERE q.account_id = ${account.id} AND q.tx_id > (SELECT max(tx_id) FROM page)), 0)
                + coalesce(sum(page.amount_minor) OVER (ORDER BY page.tx_id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::text AS later
        FROM page JOIN ledger_transactions t ON t.id = page.tx_id
        ORDER BY page.tx_id DESC`,
  );
  const lines = rows.map((row) => ({
    transactionId: row.tx_id,
    kind: row.kind,
    referenceType: row.reference_type,
    referenceId: row.reference_id,
    amountMinor: row.amount_minor,
    balanceAfterMinor: account.balance_minor - BigInt(row.later),
    createdAt: new Date(row.created_at),
  }));
  return {
    accountId: account.id,
    currency: account.currency,
    balanceMinor: account.balance_minor,
    lines,
    nextCursor: lines.length === limit ? lines[lines.length - 1]!.transactionId.toString() : null,
  };
}

function parseCursor(cursor: string): bigint {
  if (!/^\d{1,19}$/.test(cursor)) throw new AppError("validation_failed", "cursor must be the nextCursor of a previous page.");
  return BigInt(cursor);
}

/** A shop's statement: the history of its payable account in one currency. */
export async function getShopStatement(db: Drizzle, parameters: { shopId: bigint; currency: string; cursor?: string; limit?: number }): Promise<StatementPage> {
  const account = await queryOne<{ id: bigint }>(
    db,
    sql`SELECT id FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${parameters.shopId}
        AND purpose = 'payable' AND currency = ${parameters.currency}`,
  );
  if (!account) {
    pageSize(parameters.limit);
    return { accountId: 0n, currency: parameters.currency, balanceMinor: 0n, lines: [], nextCursor: null };
  }
  return getAccountHistory(db, { accountId: account.id, cursor: parameters.cursor, limit: parameters.limit });
}

export type TrialBalanceRow = { ownerType: string; purpose: string; debitsMinor: bigint; creditsMinor: bigint; balanceMinor: bigint };
export type TrialBalance = { currency: string; rows: TrialBalanceRow[]; totalMinor: bigint; balanced: boolean }[];

/** Per currency, per owner type and purpose: debits, credits and balance from the postings; totals must be zero. */
export async function getTrialBalance(db: Drizzle): Promise<TrialBalance> {
  const rows = await queryRows<{ currency: string; owner_type: string; purpose: string; debits: string; credits: string }>(
    db,
    sql`SELECT p.currency, a.owner_type, a.purpose,
               (-coalesce(sum(p.amount_minor) FILTER (WHERE p.amount_minor < 0), 0))::text AS debits,
               coalesce(sum(p.amount_minor) FILTER (WHERE p.amount_minor > 0), 0)::text AS credits
        FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
        GROUP BY p.currency, a.owner_type, a.purpose ORDER BY p.currency, a.owner_type, a.purpose`,
  );
  const byCurrency = new Map<string, TrialBalanceRow[]>();
  for (const row of rows) {
    const debits = BigInt(row.debits);
    const credits = BigInt(row.credits);
    const list = byCurrency.get(row.currency) ?? [];
    list.push({ ownerType: row.owner_type, purpose: row.purpose, debitsMinor: debits, creditsMinor: credits, balanceMinor: credits - debits });
    byCurrency.set(row.currency, list);
  }
  return [...byCurrency].map(([currency, list]) => {
    const totalMinor = list.reduce((sum, row) => sum + row.balanceMinor, 0n);
    return { currency, rows: list, totalMinor, balanced: totalMinor === 0n };
  });
}

export type AnchorWithTransactions = {
  size: bigint;
  root: string;
  transactionHash: string;
  blockNumber: bigint;
  chainId: bigint;
  contractAddress: string;
  previousSize: bigint;
  /** Journal transaction ids this anchor added (seq previousSize+1 .. size), at most `transactionsMax`. */
  transactionIds: bigint[];
  transactionCount: bigint;
};

/** Anchors newest first, each with the journal transactions it added over the previous one. */
export async function listAnchors(
  db: Drizzle,
  parameters: { cursor?: string; limit?: number; transactionsMax?: number },
): Promise<{ anchors: AnchorWithTransactions[]; nextCursor: string | null }> {
  const limit = pageSize(parameters.limit);
  const transactionsMax = Math.min(parameters.transactionsMax ?? 100, statementPageSizeMax);
  const before = parameters.cursor === undefined ? undefined : parseCursor(parameters.cursor);
  const rows = await queryRows<{
    size: bigint;
    root: Buffer;
    tx_hash: string;
    block_number: bigint;
    chain_id: bigint;
    contract_address: string;
    previous_size: bigint;
  }>(
    db,
    sql`SELECT a.size, a.root, a.tx_hash, a.block_number, a.chain_id, a.contract_address,
               coalesce((SELECT max(b.size) FROM ledger_anchors b WHERE b.size < a.size), 0)::bigint AS previous_size
        FROM ledger_anchors a ${before === undefined ? sql`` : sql`WHERE a.size < ${before}`}
        ORDER BY a.size DESC LIMIT ${limit}`,
  );
  const anchors: AnchorWithTransactions[] = [];
  for (const row of rows) {
    const ids = await queryRows<{ tx_id: bigint }>(
      db,
      sql`SELECT tx_id FROM ledger_chain WHERE seq > ${row.previous_size} AND seq <= ${row.size} ORDER BY seq LIMIT ${transactionsMax}`,
    );
    anchors.push({
      size: row.size,
      root: byteaHex(row.root),
      transactionHash: row.tx_hash,
      blockNumber: row.block_number,
      chainId: row.chain_id,
      contractAddress: row.contract_address,
      previousSize: BigInt(row.previous_size),
      transactionIds: ids.map((id) => id.tx_id),
      transactionCount: row.size - BigInt(row.previous_size),
    });
  }
  return { anchors, nextCursor: anchors.length === limit ? anchors[anchors.length - 1]!.size.toString() : null };
}

export type MonthlyStatementLine = StatementLine;
export type MonthlyStatement = {
  month: string;
  currencies: { currency: string; openingMinor: bigint; creditsMinor: bigint; debitsMinor: bigint; closingMinor: bigint; lines: MonthlyStatementLine[] }[];
};

/** Every line of a month fits one statement; a shop busier than this pages through the statement API instead. */
export const monthlyStatementLinesMax = 50_000;

/**
 * A shop's statement of one UTC month (`YYYY-MM`): per currency of its payable accounts, the
 * balance before the month (opening), the month's postings oldest first with the balance after
 * each, their credits and debits, and the balance at the end (closing = opening + credits − debits).
 * Postings are dated by their journal transaction.
 */
export async function getShopMonthlyStatement(db: Drizzle, parameters: { shopId: bigint; month: string }): Promise<MonthlyStatement> {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(parameters.month);
  if (!match) throw new AppError("validation_failed", "month must be YYYY-MM, such as 2026-12.");
  const start = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  const end = new Date(Date.UTC(Number(match[1]), Number(match[2]), 1));
  const accounts = await queryRows<{ id: bigint; currency: string; opening: string }>(
    db,
    sql`SELECT a.id, a.currency,
               (SELECT coalesce(sum(p.amount_minor), 0) FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.tx_id
                WHERE p.account_id = a.id AND t.created_at < ${start})::text AS opening
        FROM ledger_accounts a WHERE a.owner_type = 'shop' AND a.owner_id = ${parameters.shopId} AND a.purpose = 'payable'
        ORDER BY a.currency`,
  );
  const currencies: MonthlyStatement["currencies"] = [];
  for (const account of accounts) {
    const rows = await queryRows<{
      tx_id: bigint;
      kind: string;
      reference_type: string;
      reference_id: string;
      amount_minor: bigint;
      created_at: string | Date;
    }>(
      db,
      sql`SELECT p.tx_id, t.kind, t.reference_type, t.reference_id, p.amount_minor, t.created_at
          FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.tx_id
          WHERE p.account_id = ${account.id} AND t.created_at >= ${start} AND t.created_at < ${end}
          ORDER BY p.tx_id LIMIT ${monthlyStatementLinesMax + 1}`,
    );
    if (rows.length > monthlyStatementLinesMax) {
      throw new AppError(
        "validation_failed",
        `The month has more than ${monthlyStatementLinesMax} lines in ${account.currency}: page through GET /api/ledger/shops/{shopId}/statement.`,
      );
    }
    const openingMinor = BigInt(account.opening);
    let balance = openingMinor;
    let creditsMinor = 0n;
    let debitsMinor = 0n;
    const lines = rows.map((row) => {
      const amountMinor = BigInt(row.amount_minor);
      balance += amountMinor;
      if (amountMinor >= 0n) creditsMinor += amountMinor;
      else debitsMinor -= amountMinor;
      return {
        transactionId: BigInt(row.tx_id),
        kind: row.kind,
        referenceType: row.reference_type,
        referenceId: row.reference_id,
        amountMinor,
        balanceAfterMinor: balance,
        createdAt: new Date(row.created_at),
      };
    });
    currencies.push({ currency: account.currency, openingMinor, creditsMinor, debitsMinor, closingMinor: balance, lines });
  }
  return { month: parameters.month, currencies };
}
