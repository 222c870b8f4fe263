// walkIds bounds each statement by a window of ids, not by a LIMIT after a keyset position: on
// PGlite (no autovacuum, so tables never analysed) the planner answered a LIMIT 50 page by
// reading the whole rest of the slice, up to 626 ms on the API's own thread at 100,000 sold
// keys. The windows are checked here from the statements' own parameters: each spans at most
// a page of ids, and together they cover the selection exactly once, in order.
import { expect } from "chai";
import { walkIds } from "../../indexer/reconcile/walk.ts";
import { compileSql, sql } from "../../indexer/store/sql.ts";

/** The (after, upTo] range of each statement walkIds sends for `selection`. */
async function windows(selection: { afterId: bigint; upToId: bigint }, pageSize: number): Promise<[bigint, bigint][]> {
  const seen: [bigint, bigint][] = [];
  await walkIds(selection, sql`e.id`, pageSize, async (where) => {
    const { text, params } = compileSql(sql`SELECT 1 WHERE ${where}`);
    expect(text).to.match(/e\.id > \$1 AND e\.id <= \$2/);
    seen.push([BigInt(params[0] as bigint), BigInt(params[1] as bigint)]);
    return { count: 0 };
  });
  return seen;
}

describe("reconciliation: id windows", () => {
  it("sends windows of at most a page of ids that cover the selection once, even when every page comes back empty", async () => {
    // 0..(10 * 7 + 3]: ten full windows of 7 ids and a last one of 3, worked out by hand.
    const seen = await windows({ afterId: 0n, upToId: 73n }, 7);
    const expected: [bigint, bigint][] = [];
    for (let start = 0n; start < 70n; start += 7n) expected.push([start, start + 7n]);
    expected.push([70n, 73n]);
    expect(seen).to.deep.equal(expected);
  });

  it("sends nothing for an empty selection and one window for a selection smaller than a page", async () => {
    expect(await windows({ afterId: 40n, upToId: 40n }, 50)).to.deep.equal([]);
    expect(await windows({ afterId: 40n, upToId: 41n }, 50)).to.deep.equal([[40n, 41n]]);
  });

  it("counts the rows every window checked", async () => {
    const checked = await walkIds({ afterId: 100n, upToId: 200n }, sql`e.id`, 30, async () => ({ count: 2 }));
    // ceil(100 / 30) = 4 windows of 2 rows each.
    expect(checked).to.equal(8);
  });
});
