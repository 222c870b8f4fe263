// The journal export: everything an auditor needs to check the books without the database
// (the chained entries with their stored hashes, and the anchors the platform recorded).
// `keyledger audit ledger --write-export FILE` writes it; `--export FILE` audits one.
import { byteaHex as hex } from "../../core/store/byteStrings.ts";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import type { StoredEntry } from "./canonical.ts";
import { readStoredEntries } from "./readEntries.ts";

export const journalExportFormat = "keyledger-journal-v1";

export type ExportedEntry = { seq: string; contentHash: string; chainHash: string; entry: StoredEntry };
export type ExportedAnchor = { size: string; root: string; transactionHash: string; blockNumber: string; chainId: string; contractAddress: string };

export type JournalExport = {
  format: typeof journalExportFormat;
  exportedAt: string;
  entries: ExportedEntry[];
  anchors: ExportedAnchor[];
  /** Committed entries the hasher has not chained yet (not covered by this audit). */
  unchainedCount: string;
};

// Entries are read in pages so a big journal never builds one huge query result.
const exportPageSize = 5000;

export async function exportJournal(db: Drizzle): Promise<JournalExport> {
  const entries: ExportedEntry[] = [];
  for (let from = 1n; ; from += BigInt(exportPageSize)) {
    const to = from + BigInt(exportPageSize) - 1n;
    const chain = await queryRows<{ seq: bigint; tx_id: bigint; content_hash: Buffer; chain_hash: Buffer }>(
      db,
      sql`SELECT seq, tx_id, content_hash, chain_hash FROM ledger_chain WHERE seq BETWEEN ${from} AND ${to} ORDER BY seq`,
    );
    if (chain.length === 0) break;
    const stored = new Map((await readStoredEntries(db, { seqFrom: from, seqTo: to })).map((entry) => [entry.id, entry]));
    for (const row of chain) {
      const entry = stored.get(row.tx_id.toString());
      if (!entry) throw new Error(`Chain seq ${row.seq} points at journal transaction ${row.tx_id}, which does not exist.`);
      entries.push({ seq: row.seq.toString(), contentHash: hex(row.content_hash), chainHash: hex(row.chain_hash), entry });
    }
    if (chain.length < exportPageSize) break;
  }
  const anchors = (
    await queryRows<{ size: bigint; root: Buffer; tx_hash: string; block_number: bigint; chain_id: bigint; contract_address: string }>(
      db,
      sql`SELECT size, root, tx_hash, block_number, chain_id, contract_address FROM ledger_anchors ORDER BY size`,
    )
  ).map((row) => ({
    size: row.size.toString(),
    root: hex(row.root),
    transactionHash: row.tx_hash,
    blockNumber: row.block_number.toString(),
    chainId: row.chain_id.toString(),
    contractAddress: row.contract_address,
  }));
  const unchained = await queryRows<{ n: bigint }>(db, sql`SELECT count(*) AS n FROM ledger_unhashed`);
  return {
    format: journalExportFormat,
    exportedAt: new Date().toISOString(),
    entries,
    anchors,
    unchainedCount: (unchained[0]?.n ?? 0n).toString(),
  };
}
