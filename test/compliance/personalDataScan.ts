// What the data-rights suites share: the refusal a call must end in, and a scan of every column of
// the whole schema for a piece of personal data (an email, a name, a code) after an erasure.
import { expect } from "chai";
import { hashPendingEntries } from "../../api/ledger/hasher.ts";
import { expectLedgerInvariantsHold } from "../support/ledgerInvariants.ts";
import { AppError } from "../../core/errors.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import type { TestDatabase } from "../support/database.ts";

/** The AppError the promise is refused with (anything else is re-thrown; success fails the test). */
export async function refusal(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

/**
 * Every (table, column) of a text-like or binary type whose text holds `needle`, case-insensitively,
 * over the whole schema (a table added later is scanned too); a bytea column is read as text and as hex.
 */
export async function scanForPersonalData(database: TestDatabase, needle: string): Promise<string[]> {
  const columns = await queryRows<{ table_name: string; column_name: string; data_type: string }>(
    database.db,
    sql`SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
          JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
        WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')`,
  );
  const found: string[] = [];
  for (const column of columns) {
    const name = sql.identifier(column.column_name);
    const hit =
      column.data_type === "bytea"
        ? sql`strpos(lower(encode(${name}, 'escape')), lower(${needle})) > 0 OR strpos(encode(${name}, 'hex'), lower(${needle})) > 0`
        : sql`strpos(lower(${name}::text), lower(${needle})) > 0`;
    const row = await queryOne<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM ${sql.identifier(column.table_name)} WHERE ${hit}`);
    if (row!.n !== "0") found.push(`${column.table_name}.${column.column_name}`);
  }
  return found;
}

/** After an erasure the ledger is untouched: balanced, every invariant holds, and its hash chain covers every entry. */
export async function expectLedgerAuditsClean(database: TestDatabase): Promise<void> {
  await expectLedgerInvariantsHold(database.db);
  await hashPendingEntries(database.db, { batchSizeMax: 10_000 });
  const chained = await queryOne<{ t: string; c: string }>(
    database.db,
    sql`SELECT (SELECT count(*) FROM ledger_transactions)::text AS t, (SELECT count(*) FROM ledger_chain)::text AS c`,
  );
  expect(chained!.c).to.equal(chained!.t);
}
