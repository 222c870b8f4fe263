// Incremental reconciliation on a seeded history (support/seedSoldKeys.ts: 2,000 sold keys in
// four batches, with chain records that agree): a discrepancy planted in old history is found by
// the spread full pass in the run whose slice covers it (within fullPassRuns runs) and stays in
// the report until repaired; one planted in new rows is found by the very next run; no
// statement reads more than a page of rows.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { toHex, type Hex } from "viem";
import { reconcile, type ReconcileParameters } from "../../indexer/reconcile/reconcile.ts";
import { openSession, type SqlSession } from "../../indexer/store/session.ts";
import { sql } from "../../indexer/store/sql.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { seedSoldBatch, seedSoldKeys, type SeedShop, type SeededBatch } from "./support/seedSoldKeys.ts";

const chainId = 31337;
const registry: Hex = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const keyCount = 2_000;
const pageSize = 50;
const fullPassRuns = 4;

describe("indexer: incremental reconciliation over a seeded history", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let session: SqlSession;
  let shop: SeedShop;
  let batches: SeededBatch[];
  // Every statement's row count, to check that a run reads its history a page at a time.
  const rowsPerStatement: number[] = [];
  const parameters: ReconcileParameters = { chainId, registryAddress: registry, redemptionGraceSeconds: 600, fullPassRuns, fullPassIdsMin: 1, pageSize };
  const run = async () => {
    const counting: SqlSession = {
      ...session,
      query: async (statement) => {
        const result = await session.query(statement);
        rowsPerStatement.push(result.rows.length);
        return result as never;
      },
    };
    return reconcile(counting, parameters);
  };
  const keyFindings = (findings: { subject: string; subjectId: string }[]) =>
    findings.filter((finding) => finding.subject === "key").map((finding) => finding.subjectId);

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 2 });
    session = await openSession(database);
    ({ shop, batches } = await seedSoldKeys(session, { chainId, registry, keyCount, batchSize: 500 }));
  });
  after(async () => {
    await session?.close();
    await database?.drop();
  });

  it("finds nothing in a history that agrees with the chain, checking a quarter of it per run", async () => {
    const first = await run();
    expect(first.findings).to.deep.equal([]);
    // No previous run: nothing is "changed", the slice is ceil(2,000 / 4) entitlement ids.
    expect(first.checked.changed.issuances).to.equal(0);
    expect(first.checked.fullPass.issuances).to.equal(keyCount / fullPassRuns);
    expect(first.checked.fullPass.tokens).to.equal(keyCount / 100);
    expect(first.progress.fullPass.entitlement).to.equal(String(batches[0]!.entitlementIds[0]! - 1n + BigInt(keyCount / fullPassRuns)));
  });

  it("finds a sold key changed in old history in the run whose slice covers it, within fullPassRuns runs, until it is repaired", async () => {
    // The last batch's key: the slice reaches it on the fourth run of the pass (the first was above).
    const planted = batches[3]!.keyIds[250]!;
    const { rows } = await session.query<{ commitment: Buffer }>(sql`SELECT commitment FROM keys WHERE id = ${planted}`);
    await session.query(sql`UPDATE keys SET commitment = ${randomBytes(32)} WHERE id = ${planted}`);
    const foundBy: string[][] = [];
    for (let index = 1; index < fullPassRuns; index++) foundBy.push(keyFindings((await run()).findings));
    expect(foundBy).to.deep.equal([[], [], [String(planted)]]);
    // Open findings are checked again by every run, so the latest report keeps showing it.
    expect(keyFindings((await run()).findings)).to.deep.equal([String(planted)]);
    await session.query(sql`UPDATE keys SET commitment = ${rows[0]!.commitment} WHERE id = ${planted}`);
    expect((await run()).findings).to.deep.equal([]);
  });

  it("finds a discrepancy in rows written or chain records made final since the previous run on the next run", async () => {
    const tokenBase = BigInt(keyCount + 1);
    const fresh = await seedSoldBatch(session, shop, { chainId, registry, keyCount: 120, firstTokenId: tokenBase, block: 100n });
    // A new sold key whose stored leaf is not its values', and a new final token no entitlement holds.
    await session.query(sql`UPDATE keys SET leaf_hash = ${randomBytes(32)} WHERE id = ${fresh.keyIds[7]!}`);
    const orphanToken = tokenBase + 1_000n;
    await session.query(
      sql`INSERT INTO chain_issuances (chain_id, block_number, log_index, transaction_hash, batch_id, first_token_id, token_count, leaf_indexes)
          VALUES (${chainId}, 100, 50, ${toHex(randomBytes(32))}, ${fresh.batchId}, ${orphanToken}, 1, ARRAY[119]::bigint[])`,
    );
    const next = await run();
    expect(next.findings.map((finding) => [finding.kind, finding.subject, finding.subjectId]).sort()).to.deep.equal(
      [
        ["mismatch", "key", String(fresh.keyIds[7])],
        ["missing_off_chain", "issuance", String(orphanToken)],
      ].sort(),
    );
    // Found among the changes: the 120 new entitlements, their 2 issuance records and the orphan.
    expect(next.checked.changed.issuances).to.be.at.least(120);
    expect(next.checked.changed.tokens).to.equal(3);
  });

  it("reads every table a page at a time", () => {
    expect(rowsPerStatement.length).to.be.greaterThan(100);
    expect(Math.max(...rowsPerStatement)).to.equal(pageSize);
  });
});
