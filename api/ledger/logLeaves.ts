// Reads the Merkle log's leaves (leaf i = RFC 9162 leaf hash of the chain_hash at seq i + 1).
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { leafHash, type Hash } from "./merkleLog.ts";

// The log is read whole to build roots and proofs: 32 bytes per entry, so ten million entries
// are 320 MB. Beyond this the anchor job and proofs refuse instead of exhausting memory; the
// way past it is storing subtree hashes (docs/ledger.md).
export const logLeavesMax = 10_000_000;

export async function chainSize(db: Drizzle): Promise<bigint> {
  const row = await queryOne<{ size: bigint | null }>(db, sql`SELECT max(seq) AS size FROM ledger_chain`);
  return row?.size ?? 0n;
}

export async function readLogLeaves(db: Drizzle, size: bigint): Promise<Hash[]> {
  if (size > BigInt(logLeavesMax)) throw new Error(`The log has ${size} entries, beyond logLeavesMax (${logLeavesMax}).`);
  const rows = await queryRows<{ chain_hash: Buffer }>(db, sql`SELECT chain_hash FROM ledger_chain WHERE seq <= ${size} ORDER BY seq`);
  if (BigInt(rows.length) !== size) throw new Error(`The chain has ${rows.length} entries up to seq ${size}: it has a gap.`);
  return rows.map((row) => leafHash(row.chain_hash));
}
