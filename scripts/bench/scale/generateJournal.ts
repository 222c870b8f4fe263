// A hash-chained journal of `entries` balanced transactions for bench:scale. Each entry is built
// here (a sale's payment: clearing account to payments account), hashed with the ledger's own
// canonical functions (entryContentHash, chainHash: what the hasher computes), and written by
// COPY with its postings and its chain link, 250,000 entries a transaction. The postings'
// statement trigger checks each COPY's transactions balance and name existing accounts; the
// per-row "has two postings" constraint trigger (a count query per entry) is disabled while
// loading and replaced by one set-wise check. The stored subtrees (ledger_tree_nodes) are then
// written by the hasher's own catch-up (extendTreeNodes, 65,536 leaves a pass), balances set
// from the postings in one statement, and a sample of entries read back from the rows
// (readStoredEntries, as `keyledger audit ledger` does) to check their content hashes: the rows
// hash to what was chained. One anchor covers the whole log, so an inclusion proof asked
// without a tree size is answered against it.
import { chainHash, entryContentHash, genesisChainHash, type StoredEntry } from "../../../api/ledger/canonical.ts";
import { readStoredEntries } from "../../../api/ledger/readEntries.ts";
import { extendTreeNodes, storedTreeRoot } from "../../../api/ledger/treeNodes.ts";
import { copyClientOf, copyText } from "../../../core/store/copyRows.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { createHash } from "node:crypto";
import { withBulkLoad } from "./bulkLoad.ts";

export type GeneratedJournal = { entries: number; generateMs: number };

const entriesPerTransaction = 200_000;
// 2026-01-01T00:00:00Z; entry i is created i seconds later.
const firstCreatedMs = Date.UTC(2026, 0, 1);

/** Entry i (1-based, also its id) as the ledger stores and hashes it. */
function entryOf(i: number, clearing: bigint, payments: bigint): StoredEntry {
  const amount = 100 + (i % 9900);
  return {
    id: String(i),
    idempotencyKey: `scale-${i}`,
    payloadHash: createHash("sha256").update(`payload-${i}`).digest("hex"),
    kind: "order_payment",
    referenceType: "order",
    referenceId: `KLJ${String(i).padStart(10, "0")}`,
    metadata: { n: i },
    createdAtMicros: String((firstCreatedMs + i * 1000) * 1000),
    postings: [
      { accountId: String(clearing), amountMinor: String(-amount), currency: "CNY" },
      { accountId: String(payments), amountMinor: String(amount), currency: "CNY" },
    ],
  };
}

export async function generateJournal(db: Drizzle, entries: number, log: (line: string) => void): Promise<GeneratedJournal> {
  const started = performance.now();
  const existing = await queryOne<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ledger_transactions`);
  if (existing!.n !== "0") throw new Error("the journal generator needs an empty journal (entry ids are its own 1..N)");
  // Two platform accounts without a floor.
  const accounts = await queryRows<{ id: bigint }>(
    db,
    sql`INSERT INTO ledger_accounts (owner_type, owner_id, purpose, currency)
        VALUES ('platform', 0, 'clearing_epay', 'CNY'), ('platform', 0, 'payments', 'CNY') RETURNING id`,
  );
  const [clearing, payments] = [BigInt(accounts[0]!.id), BigInt(accounts[1]!.id)];
  let previous: Uint8Array = genesisChainHash;
  /** COPY text of entries [from, to]: built in slices, yielding between them so the previous chunk's COPY streams meanwhile. */
  const build = async (from: number, to: number) => {
    const transactions: string[] = [];
    const postings: string[] = [];
    const links: string[] = [];
    for (let i = from; i <= to; i++) {
      const entry = entryOf(i, clearing, payments);
      const content = entryContentHash(entry);
      const link = chainHash(previous, content);
      previous = link;
      transactions.push(
        `${i}\t${entry.idempotencyKey}\t\\\\x${entry.payloadHash}\t${entry.kind}\t${entry.referenceType}\t${entry.referenceId}\t${JSON.stringify(entry.metadata)}\t${new Date(firstCreatedMs + i * 1000).toISOString()}\n`,
      );
      for (const posting of entry.postings) postings.push(`${i}\t${posting.accountId}\t${posting.amountMinor}\t${posting.currency}\n`);
      links.push(`${i}\t${i}\t\\\\x${content.toString("hex")}\t\\\\x${link.toString("hex")}\n`);
      if (i % 10_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return { transactions: transactions.join(""), postings: postings.join(""), links: links.join("") };
  };
  const copy = (rows: Awaited<ReturnType<typeof build>>) =>
    db.transaction(async (tx) => {
      const client = copyClientOf(tx)!;
      await copyText(
        client,
        "COPY ledger_transactions (id, idempotency_key, payload_hash, kind, reference_type, reference_id, metadata, created_at) FROM STDIN",
        rows.transactions,
      );
      await copyText(client, "COPY ledger_postings (tx_id, account_id, amount_minor, currency) FROM STDIN", rows.postings);
      await copyText(client, "COPY ledger_chain (seq, tx_id, content_hash, chain_hash) FROM STDIN", rows.links);
    });
  // Triggers (the balance check, the per-entry "two postings" count, foreign keys) are off
  // while loading: the checks below stand for them, once over all entries.
  await withBulkLoad(db, [db], ["ledger_transactions", "ledger_postings", "ledger_chain"], async () => {
    let inFlight: Promise<unknown> = Promise.resolve();
    for (let start = 1; start <= entries; start += entriesPerTransaction) {
      const end = Math.min(entries, start + entriesPerTransaction - 1);
      const rows = await build(start, end);
      await inFlight;
      inFlight = copy(rows).then(() => log(`generated_journal_entries_so_far=${end}`));
    }
    await inFlight;
  });
  await db.execute(sql`SELECT setval(pg_get_serial_sequence('ledger_transactions', 'id'), ${entries})`);
  // What the postings' triggers check, for all entries at once: every transaction has two
  // postings or more, balanced per currency, on accounts that exist in that currency.
  const check = await queryOne<{ transactions: string; bad: string; unknown: string }>(
    db,
    sql`SELECT count(*)::text AS transactions, count(*) FILTER (WHERE postings < 2 OR unbalanced)::text AS bad,
               (SELECT count(*) FROM (SELECT DISTINCT account_id, currency FROM ledger_postings) p
                 WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = p.account_id AND a.currency = p.currency))::text AS unknown
        FROM (SELECT tx_id, sum(n) AS postings, bool_or(total <> 0) AS unbalanced
              FROM (SELECT tx_id, currency, count(*) AS n, sum(amount_minor) AS total FROM ledger_postings GROUP BY tx_id, currency) c
              GROUP BY tx_id) t`,
  );
  if (check!.transactions !== String(entries) || check!.bad !== "0" || check!.unknown !== "0")
    throw new Error(
      `journal check: ${check!.transactions} transactions with postings of ${entries}, ${check!.bad} short or unbalanced, ${check!.unknown} unknown accounts`,
    );
  await db.execute(sql`
    UPDATE ledger_accounts a SET balance_minor = s.total
    FROM (SELECT account_id, sum(amount_minor)::bigint AS total FROM ledger_postings GROUP BY account_id) s WHERE s.account_id = a.id`);
  const rowsDone = performance.now();
  log(`generated_journal_rows_s=${((rowsDone - started) / 1000).toFixed(1)}`);

  // The stored subtrees, by the hasher's own catch-up.
  for (let covered = 0; covered < entries - (entries % 16); ) {
    const next = await extendTreeNodes(db, entries);
    if (next === covered) throw new Error(`the tree nodes stopped at ${covered} of ${entries} leaves`);
    covered = next;
  }
  log(`generated_journal_tree_s=${((performance.now() - rowsDone) / 1000).toFixed(1)}`);
  const root = await storedTreeRoot(db, BigInt(entries));
  await db.execute(sql`INSERT INTO ledger_anchors (size, root, chain_id, contract_address, tx_hash, block_number)
                       VALUES (${entries}, ${root}, 31337, '0x0000000000000000000000000000000000000001', ${`0x${"ab".repeat(32)}`}, 1)`);

  // The rows hash to what was chained: a sample read back as the auditor reads them.
  const sample = Array.from({ length: Math.min(entries, 200) }, (_, index) => BigInt(1 + Math.floor((index * entries) / Math.min(entries, 200))));
  const stored = await queryRows<{ tx_id: bigint; content_hash: Buffer }>(
    db,
    sql`SELECT tx_id, content_hash FROM ledger_chain WHERE tx_id = ANY(${`{${sample.join(",")}}`}::bigint[])`,
  );
  const chained = new Map(stored.map((row) => [String(row.tx_id), Buffer.from(row.content_hash)]));
  for (const entry of await readStoredEntries(db, { ids: sample }))
    if (!entryContentHash(entry).equals(chained.get(entry.id)!))
      throw new Error(`journal entry ${entry.id} as stored does not hash to its chained content hash`);
  return { entries, generateMs: performance.now() - started };
}
