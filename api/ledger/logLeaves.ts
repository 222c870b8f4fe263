// The Merkle log's size: its leaf i is the RFC 9162 leaf hash of the chain_hash at seq i + 1;
// roots and proofs read it through the stored subtrees (treeNodes.ts).
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";

export async function chainSize(db: Drizzle): Promise<bigint> {
  const row = await queryOne<{ size: bigint | null }>(db, sql`SELECT max(seq) AS size FROM ledger_chain`);
  return row?.size ?? 0n;
}
