// Finds which keys of an upload already exist in the shop, by dedupe hash only (dedupe.ts),
// in bounded chunks, and adds their line numbers to the upload's problems.
import { byteaHex } from "../../core/store/byteStrings.ts";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { byteaArrayLiteral } from "../../core/store/sqlArrays.ts";
import type { ImportProblems } from "./parseImport.ts";

// 5,000 hashes of 32 bytes are a 330 kB parameter: one index probe each, a few ms per chunk.
export const dedupeLookupChunkSize = 5_000;

/**
 * Adds an already_in_shop problem for every line whose hash is already a key of the shop
 * (outside `excludeBatchId`, an import's own batch), so they are answered with the upload's
 * other problems.
 */
export async function addShopDuplicates(
  db: Drizzle,
  shopId: bigint,
  keys: { hashes: readonly Uint8Array[]; lines: readonly number[] },
  problems: ImportProblems,
  excludeBatchId: bigint | null = null,
): Promise<void> {
  for (const line of await findShopDuplicateLines(db, shopId, keys.hashes, keys.lines, excludeBatchId)) problems.add(line, "already_in_shop");
}

/** Lines whose hash is a key of the shop, outside `excludeBatchId` (an import's own batch). */
export async function findShopDuplicateLines(
  db: Drizzle,
  shopId: bigint,
  hashes: readonly Uint8Array[],
  lines: readonly number[],
  excludeBatchId: bigint | null = null,
): Promise<number[]> {
  const found: number[] = [];
  for (let start = 0; start < hashes.length; start += dedupeLookupChunkSize) {
    const chunk = hashes.slice(start, start + dedupeLookupChunkSize);
    const rows = await queryRows<{ dedupe_hash: Uint8Array }>(
      db,
      sql`SELECT dedupe_hash FROM keys
          WHERE shop_id = ${shopId} AND dedupe_hash = ANY(${byteaArrayLiteral(chunk)}::bytea[])
            AND (${excludeBatchId}::bigint IS NULL OR batch_id <> ${excludeBatchId})`,
    );
    if (rows.length === 0) continue;
    // Duplicates are rare: the chunk's hashes are indexed by line only when some were found.
    const lineByHash = new Map(chunk.map((hash, index) => [byteaHex(hash), lines[start + index]!]));
    for (const row of rows) found.push(lineByHash.get(byteaHex(row.dedupe_hash))!);
  }
  return found.sort((a, b) => a - b);
}
