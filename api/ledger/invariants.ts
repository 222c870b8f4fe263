// The ledger's invariants as queries, each returning what breaks it (empty when it holds).
// The property tests run them after every step; the benchmark reports the unbalanced count;
// an auditor can run them any time.
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";

export type LedgerInvariantFindings = {
  /** Journal transactions whose postings do not sum to zero in some currency, or have < 2 postings. */
  unbalancedTransactions: { transactionId: bigint; currency: string | null; sumMinor: bigint }[];
  /** Currencies whose postings, over the whole ledger, do not sum to zero. */
  currenciesNotZero: { currency: string; sumMinor: bigint }[];
  /** Accounts whose materialised balance differs from the sum of their postings. */
  balanceMismatches: { accountId: bigint; balanceMinor: bigint; postingsMinor: bigint }[];
  /** Floored accounts (payable, proceeds, holds) below zero. */
  negativeFloors: { accountId: bigint; balanceMinor: bigint }[];
  /** Holds whose state disagrees with the journal (resolved twice, or pending with a resolution). */
  holdMismatches: { holdId: bigint; problem: string }[];
};

export async function checkLedgerInvariants(db: Drizzle): Promise<LedgerInvariantFindings> {
  const unbalancedTransactions = (
    await queryRows<{ tx_id: bigint; currency: string | null; total: string }>(
      db,
      sql`SELECT tx_id, currency, sum(amount_minor)::text AS total FROM ledger_postings
          GROUP BY tx_id, currency HAVING sum(amount_minor) <> 0
          UNION ALL
          SELECT t.id, NULL, '0' FROM ledger_transactions t
          WHERE (SELECT count(*) FROM ledger_postings p WHERE p.tx_id = t.id) < 2
          ORDER BY 1`,
    )
  ).map((row) => ({ transactionId: row.tx_id, currency: row.currency, sumMinor: BigInt(row.total) }));
  const currenciesNotZero = (
    await queryRows<{ currency: string; total: string }>(
      db,
      sql`SELECT currency, sum(amount_minor)::text AS total FROM ledger_postings GROUP BY currency HAVING sum(amount_minor) <> 0`,
    )
  ).map((row) => ({ currency: row.currency, sumMinor: BigInt(row.total) }));
  const balanceMismatches = (
    await queryRows<{ id: bigint; balance_minor: bigint; total: string }>(
      db,
      sql`SELECT a.id, a.balance_minor, coalesce(p.total, 0)::text AS total FROM ledger_accounts a
          LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM ledger_postings GROUP BY account_id) p ON p.account_id = a.id
          WHERE a.balance_minor <> coalesce(p.total, 0) ORDER BY a.id`,
    )
  ).map((row) => ({ accountId: row.id, balanceMinor: row.balance_minor, postingsMinor: BigInt(row.total) }));
  const negativeFloors = (
    await queryRows<{ id: bigint; balance_minor: bigint }>(
      db,
      sql`SELECT id, balance_minor FROM ledger_accounts WHERE floor_zero AND balance_minor < 0 ORDER BY id`,
    )
  ).map((row) => ({ accountId: row.id, balanceMinor: row.balance_minor }));
  const holdMismatches = (
    await queryRows<{ id: bigint; problem: string }>(
      db,
      sql`SELECT h.id, 'resolutions: ' || count(t.id) || ', state ' || h.state AS problem
          FROM ledger_holds h
          LEFT JOIN ledger_transactions t ON t.reference_type = 'hold' AND t.reference_id = h.id::text
          GROUP BY h.id, h.state, h.resolved_tx_id
          HAVING count(t.id) <> CASE WHEN h.state = 'pending' THEN 0 ELSE 1 END
              OR (h.state <> 'pending' AND NOT bool_or(t.id = h.resolved_tx_id))
          ORDER BY h.id`,
    )
  ).map((row) => ({ holdId: row.id, problem: row.problem }));
  return { unbalancedTransactions, currenciesNotZero, balanceMismatches, negativeFloors, holdMismatches };
}
