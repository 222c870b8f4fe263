// Reconciliation reads in keyset pages and gives the event loop back between pages. The
// indexer shares its process with the API under `npm start`, and on PGlite every statement runs
// on that same thread: one statement over a whole table, or one loop over every sold key, froze
// the process (2.25 s at 9,000 keys sold, 8.8 s for /healthz at 31,000). A page is at most
// `pageSize` rows in SQL and in JavaScript, so the longest pause is one page's work.
import { setImmediate as nextTurnOfEventLoop } from "node:timers/promises";
import { sql, type SQL } from "../store/sql.ts";

/** What one window of ids did: the rows it checked. */
export type IdPageResult = { count: number };

/** What one page of chain records did: rows it checked, and the keyset position of its last row. */
export type PageResult<Key> = { count: number; last: Key | null };

/** Rows selected by id: those after `afterId` up to `upToId` (inclusive), or a list of ids. */
export type IdSelection = { afterId: bigint; upToId: bigint } | { ids: readonly bigint[] };

/** Chain records by final block: those after `afterBlock` up to `upToBlock` (inclusive). */
export type BlockSelection = { afterBlock: bigint; upToBlock: bigint };

export type BlockPosition = { block: bigint; log: number };

/**
 * Walks `selection` through `page` (which reads the rows where `where` holds, in order of
 * `column`), one window of at most `pageSize` ids per statement and per turn of the event loop;
 * returns the rows checked.
 *
 * A window of ids, not "the next `pageSize` rows after the last one": a statement's work is then
 * bounded by the window whatever plan PostgreSQL picks. PGlite has no autovacuum, so its tables
 * are never analysed and the planner, guessing one matching row, read the whole rest of the
 * slice for each LIMIT 50 page (a bitmap scan, every row joined to its key and token, then a
 * sort): 95 ms a page on average and up to 626 ms at 100,000 sold keys, all on the API's thread.
 * Ids are dense (sequences), so a window holds about `pageSize` rows.
 */
export async function walkIds(
  selection: IdSelection,
  column: SQL,
  pageSize: number,
  page: (where: SQL, limit: number) => Promise<IdPageResult>,
): Promise<number> {
  if ("ids" in selection) return walkList(selection.ids, pageSize, (ids) => page(sql`${column} = ANY(${sql.param(ids.map(String))}::bigint[])`, pageSize));
  let checked = 0;
  for (let after = selection.afterId; after < selection.upToId; ) {
    const windowEnd = after + BigInt(pageSize) < selection.upToId ? after + BigInt(pageSize) : selection.upToId;
    checked += (await page(sql`${column} > ${after} AND ${column} <= ${windowEnd}`, pageSize)).count;
    await nextTurnOfEventLoop();
    after = windowEnd;
  }
  return checked;
}

/** The same over chain records, keyed by (block_number, log_index) of the table `alias` names. */
export async function walkBlocks(
  selection: BlockSelection,
  alias: SQL,
  pageSize: number,
  page: (where: SQL, limit: number) => Promise<PageResult<BlockPosition>>,
): Promise<number> {
  let checked = 0;
  let where = sql`${alias}.block_number > ${selection.afterBlock} AND ${alias}.block_number <= ${selection.upToBlock}`;
  if (selection.afterBlock >= selection.upToBlock) return 0;
  for (;;) {
    const { count, last } = await page(where, pageSize);
    checked += count;
    await nextTurnOfEventLoop();
    if (count < pageSize || last === null) return checked;
    where = sql`(${alias}.block_number, ${alias}.log_index) > (${last.block}::bigint, ${last.log}::int) AND ${alias}.block_number <= ${selection.upToBlock}`;
  }
}

/** `items` in pages of at most `pageSize`, one page per turn of the event loop. */
export async function walkList<Item>(items: readonly Item[], pageSize: number, page: (items: Item[]) => Promise<{ count: number }>): Promise<number> {
  let checked = 0;
  for (let start = 0; start < items.length; start += pageSize) {
    checked += (await page(items.slice(start, start + pageSize))).count;
    await nextTurnOfEventLoop();
  }
  return checked;
}
