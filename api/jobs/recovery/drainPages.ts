// Keyset pagination for the recovery sweeps: each page starts after the last row of the one
// before, so a page costs the same however deep the backlog (no OFFSET), and rows that leave
// the backlog between pages (fulfilled meanwhile) shift nothing.

export type DrainPagesParameters<Row> = {
  /** Reads up to `limit` rows after `after` (the previous page's last row; undefined for the first page) in a stable order. */
  readPage(after: Row | undefined, limit: number): Promise<Row[]>;
  /** Hands one page over; awaited before the next page is read, so one page at most is in memory and in flight. */
  handle(rows: Row[]): Promise<void>;
  pageSizeMax: number;
  /** Bounds one run: a backlog beyond pageSizeMax × pagesMax rows is left for the next run. */
  pagesMax: number;
};

export type DrainPagesReturnType = { rows: number; pages: number; complete: boolean };

export async function drainPages<Row>(parameters: DrainPagesParameters<Row>): Promise<DrainPagesReturnType> {
  const { pageSizeMax, pagesMax } = parameters;
  let after: Row | undefined;
  let rows = 0;
  for (let page = 1; page <= pagesMax; page++) {
    const batch = await parameters.readPage(after, pageSizeMax);
    if (batch.length > 0) await parameters.handle(batch);
    rows += batch.length;
    if (batch.length < pageSizeMax) return { rows, pages: page, complete: true };
    after = batch.at(-1);
    // Each page's work is awaited I/O, but building and serialising a page's jobs is not:
    // timers and sockets get their turn between pages.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { rows, pages: pagesMax, complete: false };
}
