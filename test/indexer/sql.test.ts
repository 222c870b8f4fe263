// The indexer compiles Drizzle's `sql` templates itself (indexer/store/sql.ts) instead of loading
// drizzle-orm's PgDialect at start-up. The dialect is the reference: every shape of statement
// the indexer writes must compile to the same text and parameters.
import { expect } from "chai";
import { sql as drizzleSql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { compileSql, sql } from "../../indexer/store/sql.ts";

describe("indexer SQL compilation", () => {
  const dialect = new PgDialect();
  const reference = (statement: ReturnType<typeof sql>) => {
    const query = dialect.sqlToQuery(statement);
    return { text: query.sql, params: query.params };
  };

  it("is the very `sql` that drizzle-orm exports", () => {
    expect(sql).to.equal(drizzleSql);
  });

  it("compiles like drizzle-orm's PgDialect", () => {
    const table = "chain_events";
    const statements = [
      sql`SELECT 1`,
      sql`SELECT * FROM chain_blocks WHERE chain_id = ${31337} AND number BETWEEN ${5n} AND ${9n}`,
      sql`DELETE FROM ${sql.identifier(table)} WHERE chain_id = ${1} AND block_number > ${2n}`,
      sql`SELECT * FROM unnest(${sql.param([1n, 2n, 3n])}::bigint[], ${sql.param(["a", "b'c", null])}::text[])`,
      sql`SELECT ${[1, 2, 3]} AS listed`,
      sql`WITH r AS (${sql`SELECT id FROM batches WHERE shop_id = ${7n}`}) SELECT * FROM r WHERE ${sql`id > ${3}`}`,
      sql`INSERT INTO ${sql.raw("chain_logs")} (a, b) SELECT ${sql.join([sql`${sql.param([1])}::int[]`, sql`${sql.param(["x"])}::text[]`], sql`, `)}`,
      sql`SELECT ${"it's"}::text, ${null}, ${Buffer.from("00ff", "hex")}, ${JSON.stringify({ a: 1 })}::jsonb`,
    ];
    for (const statement of statements) expect(compileSql(statement)).to.deep.equal(reference(statement));
  });

  it("passes a whole array as one parameter only through sql.param", () => {
    expect(compileSql(sql`SELECT ${sql.param([1, 2])}::int[]`)).to.deep.equal({ text: "SELECT $1::int[]", params: [[1, 2]] });
    expect(compileSql(sql`SELECT ${[1, 2]}`)).to.deep.equal({ text: "SELECT ($1, $2)", params: [1, 2] });
  });
});
